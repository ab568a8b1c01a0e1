import Crypto
import Foundation
import JSON
import Testing

/// RFC 4231 and NIST vectors from ../shared/fixtures/crypto, computed independently of this project.
@Suite struct CryptoVectorTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/fixtures/crypto").standardized

    static func load(_ name: String) throws -> [JSONValue] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        return try JSONValue(parsing: Array(data)).arrayValue ?? []
    }

    @Test func sha256Vectors() throws {
        let vectors = try Self.load("sha256.json")
        #expect(vectors.count >= 8)
        for vector in vectors {
            let input: [UInt8]
            if let repeated = vector["repeat"] {
                input = Array(String(repeating: repeated["text"]!.stringValue!, count: repeated["count"]!.intValue!).utf8)
            } else {
                input = try #require(Encoding.bytes(fromHex: vector["hex"]!.stringValue!))
            }
            #expect(Encoding.hex(SHA256.hash(input)) == vector["sha256"]!.stringValue!, "\(vector["name"]!)")
        }
    }

    @Test func sha256IncrementalMatchesOneShot() {
        let input = Array((0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        for split in [0, 1, 55, 63, 64, 65, 500, 999] {
            var hasher = SHA256()
            hasher.update(input[..<split])
            hasher.update(input[split...])
            #expect(hasher.finalize() == SHA256.hash(input))
        }
    }

    @Test func hmacRFC4231() throws {
        let vectors = try Self.load("hmac_sha256.json")
        #expect(vectors.count == 7)
        for vector in vectors {
            let key = try #require(Encoding.bytes(fromHex: vector["key_hex"]!.stringValue!))
            let data = try #require(Encoding.bytes(fromHex: vector["data_hex"]!.stringValue!))
            let mac = HMACSHA256.authenticationCode(for: data, key: key)
            if let truncated = vector["hmac_sha256_first_16_bytes"]?.stringValue {
                #expect(Encoding.hex(mac.prefix(16)) == truncated)
            } else {
                #expect(Encoding.hex(mac) == vector["hmac_sha256"]!.stringValue!, "\(vector["name"]!)")
            }
        }
    }

    @Test func constantTimeEquals() {
        #expect(ConstantTime.equals("abc", "abc"))
        #expect(!ConstantTime.equals("abc", "abd"))
        #expect(!ConstantTime.equals("abc", "ab"))
        #expect(!ConstantTime.equals("", "a"))
        #expect(ConstantTime.equals("", ""))
        // Lengths that differ by a multiple of 256 must not compare equal.
        #expect(!ConstantTime.equals([UInt8](repeating: 0, count: 256), []))
    }

    @Test func base64RoundTrip() {
        for n in 0..<10 {
            let bytes = Array((0..<n).map { UInt8($0 * 37 & 0xFF) })
            #expect(Encoding.bytes(fromBase64: Encoding.base64(bytes)) == bytes)
        }
        #expect(Encoding.base64(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Encoding.base64(Array("fo".utf8)) == "Zm8=")
        #expect(Encoding.bytes(fromBase64: "Zm9v!") == nil)
    }
}
