/// Builds the bytes of a faulty answer and says what the loop does with the connection after.
enum FaultResponder {
    enum After {
        /// Keep the connection, as after a normal answer.
        case keep
        /// Close once the bytes are written.
        case close
        /// Close with SO_LINGER 0 (a TCP reset), writing nothing.
        case reset
        /// Write nothing and never answer.
        case stall
        /// Send `normal` one byte per drip interval.
        case drip
    }

    /// Appends the faulty answer to `output`. `normal` is the correct answer's bytes, for the
    /// faults that send part or all of it.
    static func respond(_ fault: Fault, normal: [UInt8], into output: inout [UInt8]) -> After {
        switch fault {
        case .closeBeforeResponse:
            return .close
        case .closeMidHeaders:
            output.append(ascii: "HTTP/1.1 200 OK\r\nContent-Type: appl")
            return .close
        case .closeMidBody:
            output.append(contentsOf: normal.prefix(headLength(normal) + bodyLength(normal) / 2))
            return .close
        case .reset:
            return .reset
        case .garbageStatus:
            output.append(ascii: "HTXP/1.1 two hundred OK\r\n\r\n")
            return .close
        case .badChunk:
            output.append(ascii: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
            return .close
        case .shortBody:
            output.append(ascii: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"choices\":[")
            return .close
        case .status500:
            appendError(status: "500 Internal Server Error", code: 500, into: &output)
            return .keep
        case .status503:
            appendError(status: "503 Service Unavailable", code: 503, into: &output)
            return .keep
        case .status429:
            appendError(status: "429 Too Many Requests", code: 429, into: &output)
            return .keep
        case .stall:
            return .stall
        case .slowDrip:
            return .drip
        case .hugeHeaders:
            output.append(ascii: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            for _ in 0..<80 {
                output.append(ascii: "X-Filler: ")
                output.append(contentsOf: repeatElement(UInt8(ascii: "a"), count: 1000))
                output.append(ascii: "\r\n")
            }
            output.append(ascii: "Content-Length: 2\r\n\r\n{}")
            return .close
        case .pipelinedExtra:
            output.append(contentsOf: normal)
            output.append(contentsOf: normal)
            return .keep
        }
    }

    private static func appendError(status: StaticString, code: Int, into output: inout [UInt8]) {
        var body: [UInt8] = []
        body.append(ascii: #"{"error":{"message":"injected fault","type":"server_error","code":"#)
        body.append(decimal: code)
        body.append(ascii: "}}")
        output.append(ascii: "HTTP/1.1 ")
        output.append(ascii: status)
        output.append(ascii: "\r\nContent-Type: application/json\r\nContent-Length: ")
        output.append(decimal: body.count)
        output.append(ascii: "\r\n\r\n")
        output.append(contentsOf: body)
    }

    /// Bytes up to and including the blank line.
    private static func headLength(_ response: [UInt8]) -> Int {
        var index = 0
        while index + 3 < response.count {
            if response[index] == 13, response[index + 1] == 10, response[index + 2] == 13, response[index + 3] == 10 { return index + 4 }
            index += 1
        }
        return response.count
    }

    private static func bodyLength(_ response: [UInt8]) -> Int { response.count - headLength(response) }
}
