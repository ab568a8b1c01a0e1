import Crypto
import Foundation
import JSON
import Testing

/// SHA-1 and SHA-512 against FIPS 180-4's published examples, HMAC-SHA1 against RFC 2202 and HMAC-SHA512 against
/// RFC 4231 (the keys and data of ../shared/fixtures/crypto/hmac_sha256.json, which are RFC 4231's).
@Suite struct SHAFamilyVectorTests {
    /// FIPS 180-4 (and its example documents): input, SHA-1, SHA-512.
    static let published: [(input: [UInt8], sha1: String, sha512: String)] = [
        (
            [], "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        ),
        (
            Array("abc".utf8), "a9993e364706816aba3e25717850c26c9cd0d89d",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        ),
        (
            Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8), "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
            "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445"
        ),
        (
            Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8),
            "a49b2446a02c645bf419f995b67091253a04a259",
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"
        ),
        (
            [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000), "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
            "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"
        ),
    ]

    /// Lengths around both block sizes' padding edges (bytes `i * 7 mod 256`), computed with Python's hashlib.
    static let boundaries: [(length: Int, sha1: String, sha512: String)] = [
        (55, "aecd1643c9903b9bae8cb94f53c50f8a4e18605b", "1fa86069db165162601ddc6103789cbca1fe97bc7c32de0d11a62e140f489340fc07d2664635a196fbebfb9fa976204882a1b803261b1018c257d24423553fb5"),
        (56, "f5d65c621c02cc8e785159feff8088e3072da1bc", "7b6d8a5b05452e1ca1237d37573bd3847c51a2f4f8aac8b9dd4dd4d91dd69b9561cc5b499bfa23c8767e272d1cfb4132746f6ff9518de6b5dc969b4c47947e48"),
        (63, "4952f0fe097e4d6410ae9eab4855aa836caf3bff", "60a1cdd00a75f8715cc0c284bca24836c17d60b2cc4dc43ebd4091dee226c8cf32e32846456d316ee0782fe8b6a0f1de0cae8c47a6614e4b529075a7d2aa24af"),
        (64, "1e17ae1fc093e5daca033553c97a5192ca164486", "9f59bad22a6a8bda005caa01350372bf744703244db0aeb0446d8523012962ced1e49fd8ff703523938926a0dbbb023920b07cce073352920635bb28cad8e104"),
        (111, "df2f6197f2b13b38727c3317ee887f0dfae15339", "d2026b9857418e96d800f55017d1c1566c027453ff240da88f0a25558fabf5d6ffbe00bb14bc04f120af1cac53f21cb4a81765140b9249f52aaab4935079dd94"),
        (112, "fe6021ce28099e49dbe7eaf995feac7848f25a48", "4dc754b8985c03b8015b1efd61af5c05828b6d07eecda8d90dd5863f7704bd375905932f2fbdeb4ee1b754a7778e4a0327e7d75b71ae95d1f619136e27564467"),
        (127, "374f47c1c8d4700fc2588e71f6d1e861b431b5c3", "78de13cc28717e3ee7a3cb21b2ecac6d201f32f4a81bc1becdf9de5126e1a0139e25784aeb8baf327cc32f98d54d20e80e61d4d6bff5b37872fdaa645a4f3886"),
        (128, "516846cd40bd1fe431119c3b0a0f362957992ee8", "6e7f10bc87eacc3e98014eaade39e273285ba13c79231361c24c304a8d409018f543a28847fcc829b87fdde605caa5ab5fdb00e296737fa4687d5ee8d130ceea"),
        (129, "a6e7c0b71257b5d5c4f15a05f915368ac52580b3", "cdc5b3e2f22ed03935760389c88672f8b3c867503aff012d5f9653e426c9b530e091356459108edadc8e09a444a50415b30d38f9d75cb8c456fec0ae3ca6901f"),
    ]

    @Test func publishedDigests() {
        for vector in Self.published {
            #expect(Encoding.hex(SHA1.hash(vector.input)) == vector.sha1, "SHA-1 of \(vector.input.count) bytes")
            #expect(Encoding.hex(SHA512.hash(vector.input)) == vector.sha512, "SHA-512 of \(vector.input.count) bytes")
        }
    }

    @Test func paddingBoundaries() {
        for vector in Self.boundaries {
            let input = (0..<vector.length).map { UInt8(truncatingIfNeeded: $0 * 7) }
            #expect(Encoding.hex(SHA1.hash(input)) == vector.sha1, "SHA-1 of \(vector.length) bytes")
            #expect(Encoding.hex(SHA512.hash(input)) == vector.sha512, "SHA-512 of \(vector.length) bytes")
        }
    }

    @Test func incrementalMatchesOneShot() {
        let input = Array((0..<1000).map { UInt8(truncatingIfNeeded: $0 * 13) })
        for split in [0, 1, 63, 64, 65, 127, 128, 129, 999] {
            var sha1 = SHA1()
            sha1.update(input[..<split])
            sha1.update(input[split...])
            #expect(sha1.finalize() == SHA1.hash(input))
            var sha512 = SHA512()
            sha512.update(input[..<split])
            sha512.update(input[split...])
            #expect(sha512.finalize() == SHA512.hash(input))
        }
    }

    /// RFC 2202 section 3, test cases 1–7 (case 5 in full; the RFC also gives it truncated to 96 bits).
    @Test func hmacSHA1RFC2202() throws {
        let cases: [(key: String, data: String, mac: String)] = [
            (String(repeating: "0b", count: 20), "4869205468657265", "b617318655057264e28bc0b6fb378c8ef146be00"),
            ("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
            (String(repeating: "aa", count: 20), String(repeating: "dd", count: 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
            ("0102030405060708090a0b0c0d0e0f10111213141516171819", String(repeating: "cd", count: 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
            (String(repeating: "0c", count: 20), "546573742057697468205472756e636174696f6e", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
            (String(repeating: "aa", count: 80),
             "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
             "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
            (String(repeating: "aa", count: 80),
             "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b657920616e64204c6172676572205468616e204f6e6520426c6f636b2d53697a652044617461",
             "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
        ]
        for (index, vector) in cases.enumerated() {
            let key = try #require(Encoding.bytes(fromHex: vector.key))
            let data = try #require(Encoding.bytes(fromHex: vector.data))
            #expect(Encoding.hex(HMAC<SHA1>.authenticationCode(for: data, key: key)) == vector.mac, "RFC 2202 case \(index + 1)")
        }
    }

    /// RFC 4231 section 4, HMAC-SHA-512 of test cases 1–7 (case 5 truncated to 128 bits, as in the RFC).
    @Test func hmacSHA512RFC4231() throws {
        let expected: [String: String] = [
            "rfc4231-1": "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
            "rfc4231-2": "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            "rfc4231-3": "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
            "rfc4231-4": "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
            "rfc4231-5-truncated-128": "415fad6271580a531d4179bc891d87a6",
            "rfc4231-6": "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
            "rfc4231-7": "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
        ]
        let vectors = try CryptoVectorTests.load("hmac_sha256.json")
        #expect(vectors.count == expected.count)
        for vector in vectors {
            let name = try #require(vector["name"]?.stringValue)
            let key = try #require(Encoding.bytes(fromHex: vector["key_hex"]!.stringValue!))
            let data = try #require(Encoding.bytes(fromHex: vector["data_hex"]!.stringValue!))
            let mac = HMAC<SHA512>.authenticationCode(for: data, key: key)
            let want = try #require(expected[name])
            #expect(Encoding.hex(mac.prefix(want.utf8.count / 2)) == want, "\(name)")
        }
    }
}
