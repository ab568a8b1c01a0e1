import HTTPServer
import Testing

@Suite struct KeepAliveTests {
    @Test func answersAndKeepsConnectionOpen() async throws {
        try await withServer { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                for i in 0..<3 {
                    try c.send("POST /p?\(i) HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
                    let r = try c.readResponse()
                    #expect(r.status == 200)
                    #expect(r.header("Content-Length") == "\(r.body.count)")
                    #expect(r.header("Date")?.hasSuffix(" GMT") == true)
                    #expect(r.header("Connection") == nil)
                    #expect(r.json?.value(atPath: "body")?.stringValue == "hello")
                    #expect(r.json?.value(atPath: "rawQuery")?.stringValue == "\(i)")
                }
            }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                var batch = ""
                for i in 0..<5 {
                    batch += "POST /n\(i) HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n\(i)"
                }
                batch += "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                try c.send(batch)
                for i in 0..<5 {
                    let r = try c.readResponse()
                    #expect(r.json?.value(atPath: "path")?.stringValue == "/n\(i)")
                    #expect(r.json?.value(atPath: "body")?.stringValue == "\(i)")
                }
                #expect(try c.readResponse().json?.value(atPath: "path")?.stringValue == "/slow")
                let last = try c.readResponse()
                #expect(last.json?.value(atPath: "path")?.stringValue == "/last")
                #expect(last.header("Connection") == "close")
                #expect(c.readUntilClosed().0 == .closed)
            }
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withServer { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.status == 200)
                #expect(r.header("Connection") == "close")
                #expect(c.readUntilClosed().0 == .closed)
            }
        }
    }

    @Test func http10ClosesByDefaultAndKeepsAliveOnRequest() async throws {
        try await withServer { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("GET /a HTTP/1.0\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.status == 200)
                #expect(r.json?.value(atPath: "version")?.stringValue == "HTTP/1.0")
                #expect(r.header("Connection") == "close")
                #expect(c.readUntilClosed().0 == .closed)

                let k = try RawConnection(port: port)
                try k.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let first = try k.readResponse()
                #expect(first.header("Connection") == "keep-alive")
                try k.send("GET /b HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
                #expect(try k.readResponse().json?.value(atPath: "path")?.stringValue == "/b")
            }
        }
    }

    @Test func headHasHeadersButNoBody() async throws {
        try await withServer { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("GET /same HTTP/1.1\r\nHost: x\r\n\r\n")
                let get = try c.readResponse()
                try c.send("HEAD /same HTTP/1.1\r\nHost: x\r\n\r\n")
                // The HEAD answer carries the GET body's length but no body: parse the head alone.
                try c.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
                while c.received.count < 40 || !String(decoding: c.received, as: UTF8.self).contains("/after") {
                    guard c.fill() == .data else { break }
                }
                let text = String(decoding: c.received, as: UTF8.self)
                let headPart = text.components(separatedBy: "\r\n\r\n")[0]
                #expect(headPart.hasPrefix("HTTP/1.1 200 OK"))
                let headLength = get.body.count - "GET".count + "HEAD".count
                #expect(headPart.contains("Content-Length: \(headLength)"))
                let afterHead = text.components(separatedBy: "\r\n\r\n")[1]
                #expect(afterHead.hasPrefix("HTTP/1.1 200 OK"))
            }
        }
    }

    @Test func decodesPathAndKeepsRawQuery() async throws {
        try await withServer { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("GET /hooks/a%20b%2Fc?x=%20y&z=1+2 HTTP/1.1\r\nHost: x\r\nX-Rep: 1\r\nx-rep: 2\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.json?.value(atPath: "path")?.stringValue == "/hooks/a b/c")
                #expect(r.json?.value(atPath: "rawQuery")?.stringValue == "x=%20y&z=1+2")
                #expect(r.json?.value(atPath: "target")?.stringValue == "/hooks/a%20b%2Fc?x=%20y&z=1+2")
                let headers = r.json?.value(atPath: "headers")?.arrayValue ?? []
                #expect(headers.count == 3)
            }
        }
    }

    @Test func throwingHandlerGives500AndServerContinues() async throws {
        try await withServer { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.status == 500)
                #expect(r.json?.value(atPath: "error") != nil)
                try c.send("GET /fine HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try c.readResponse().status == 200)
            }
        }
    }

    @Test func severalLoopsServeManyConcurrentConnections() async throws {
        try await withServer({
            $0.eventLoopCount = 3
            $0.handlerThreadCount = 2
        }) { _, port in
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for client in 0..<40 {
                    group.addTask {
                        try await offPool {
                            let c = try RawConnection(port: port)
                            var ok = 0
                            for i in 0..<10 {
                                try c.send("POST /c\(client)/\(i) HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n\(i % 10)!")
                                let r = try c.readResponse()
                                if r.json?.value(atPath: "path")?.stringValue == "/c\(client)/\(i)",
                                    r.json?.value(atPath: "body")?.stringValue == "\(i % 10)!"
                                {
                                    ok += 1
                                }
                            }
                            return ok
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(results == 400)
        }
    }

    @Test func fiveHundredPipelinedRequestsInOneWrite() async throws {
        try await withServer { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send((0..<500).map { "GET /\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
                for i in 0..<500 {
                    let r = try c.readResponse()
                    #expect(r.json?.value(atPath: "path")?.stringValue == "/\(i)")
                }
            }
        }
    }
}
