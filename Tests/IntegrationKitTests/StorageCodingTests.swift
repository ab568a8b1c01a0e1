import Foundation
import JSON
import Testing

@testable import IntegrationKit

/// The SDK's storage coders must write what `JSONEncoder()` writes and read what it reads (default strategies), so
/// values stored before they replaced it read back unchanged, and the other way round.
@Suite struct StorageCodingTests {
    struct Note: Codable, Equatable {
        var text: String
        var author: String?
        var pinned: Bool
        var votes: Int
        var score: Double
        var tags: [String]
        var at: Date
        var blob: Data
        var link: URL
        var nested: [String: [Int]]
        var byNumber: [Int: String]
        var kind: Kind
        var small: UInt8
        var ratio: Float
    }

    enum Kind: Codable, Equatable {
        case plain
        case reminder(at: Int, label: String?)
    }

    class Base: Codable {
        var id = 1
        init() {}
    }

    final class Derived: Base {
        var extra = "x"
        enum CodingKeys: CodingKey { case extra }
        override init() { super.init() }
        required init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            extra = try container.decode(String.self, forKey: .extra)
            try super.init(from: container.superDecoder())
        }
        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(extra, forKey: .extra)
            try super.encode(to: container.superEncoder())
        }
    }

    static let note = Note(
        text: "a \"quoted\" line\nand é", author: nil, pinned: true, votes: -3, score: 0.1, tags: ["x", ""],
        at: Date(timeIntervalSinceReferenceDate: 12.5), blob: Data([0, 1, 255]), link: URL(string: "https://x.test/a?b=c")!,
        nested: ["a": [1, 2], "b": []], byNumber: [1: "one", 20: "twenty"], kind: .reminder(at: 5, label: "l"),
        small: 200, ratio: 1.5)

    /// The same JSON document (compared as values: key order and number spelling may differ).
    private func sameDocument(_ left: [UInt8], _ right: Data) throws -> Bool {
        try JSONValue(parsing: left) == JSONValue(parsing: Array(right))
    }

    @Test func writesWhatJSONEncoderWrites() throws {
        #expect(try sameDocument(StorageEncoder.encode(Self.note), JSONEncoder().encode(Self.note)))
        #expect(try sameDocument(StorageEncoder.encode("text"), JSONEncoder().encode("text")))
        #expect(try sameDocument(StorageEncoder.encode(42), JSONEncoder().encode(42)))
        #expect(try sameDocument(StorageEncoder.encode([1.5, -2]), JSONEncoder().encode([1.5, -2])))
        #expect(try sameDocument(StorageEncoder.encode(Optional<Int>.none), JSONEncoder().encode(Optional<Int>.none)))
        #expect(try sameDocument(StorageEncoder.encode(Kind.plain), JSONEncoder().encode(Kind.plain)))
        #expect(try sameDocument(StorageEncoder.encode(Derived()), JSONEncoder().encode(Derived())))
        #expect(try sameDocument(StorageEncoder.encode(Decimal(string: "12.25")!), JSONEncoder().encode(Decimal(string: "12.25")!)))
    }

    @Test func readsWhatJSONEncoderWroteAndBack() throws {
        let written = Array(try JSONEncoder().encode(Self.note))
        #expect(try StorageDecoder.decode(Note.self, from: written) == Self.note)
        let ours = try StorageEncoder.encode(Self.note)
        #expect(try StorageDecoder.decode(Note.self, from: ours) == Self.note)
        #expect(try JSONDecoder().decode(Note.self, from: Data(ours)) == Self.note)
        #expect(try StorageDecoder.decode(Derived.self, from: StorageEncoder.encode(Derived())).id == 1)
        #expect(try StorageDecoder.decode([String].self, from: Array(#"["a","b"]"#.utf8)) == ["a", "b"])
        #expect(try StorageDecoder.decode(Int?.self, from: Array("null".utf8)) == nil)
    }

    @Test func refusesWhatJSONEncoderAndDecoderRefuse() throws {
        #expect(throws: EncodingError.self) { try StorageEncoder.encode(Double.nan) }
        #expect(throws: EncodingError.self) { try StorageEncoder.encode(["x": Double.infinity]) }
        #expect(throws: DecodingError.self) { try StorageDecoder.decode(Int.self, from: Array("1.5".utf8)) }
        #expect(throws: DecodingError.self) { try StorageDecoder.decode(UInt8.self, from: Array("300".utf8)) }
        #expect(throws: DecodingError.self) { try StorageDecoder.decode(String.self, from: Array("1".utf8)) }
        #expect(throws: DecodingError.self) { try StorageDecoder.decode(Note.self, from: Array(#"{"text":"x"}"#.utf8)) }
        #expect(throws: DecodingError.self) { try StorageDecoder.decode(Data.self, from: Array(#""not base64!""#.utf8)) }
        #expect(throws: DecodingError.self) { try StorageDecoder.decode(Int.self, from: Array("{".utf8)) }
        // A whole number written with a fraction or exponent reads as an integer where JSONDecoder reads it as one.
        for text in ["3.0", "1e2", "-0", "2.5e1"] {
            let ours = try? StorageDecoder.decode(Int.self, from: Array(text.utf8))
            let theirs = try? JSONDecoder().decode(Int.self, from: Data(text.utf8))
            #expect(ours == theirs, "\(text)")
        }
    }
}
