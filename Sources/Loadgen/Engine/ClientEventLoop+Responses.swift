import HTTPWire

/// Reading responses: the bytes go through the parser; the body to the OpenAI checks and, for
/// streams, to the token timing.
extension ClientEventLoop {
    mutating func readResponse(_ index: Int) {
        let slot = slots[index]
        let fd = FileDescriptor(rawValue: slot.pointee.fd)
        switch fd.read(into: readBuffer) {
        case .transferred(let count):
            tally.bytesReceived(count)
            slot.pointee.responseBytes &+= count
            if slot.pointee.responseBytes > plan.maxResponseBytes {
                finish(index, .failure(.responseTooLarge, errno: 0), now: Clock.monotonicNanoseconds())
                return
            }
            parse(index, UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
        case .wouldBlock:
            return
        case .endOfFile:
            peerClosed(index)
        case .failed:
            finish(index, .failure(.connectionClosed, errno: 0), now: Clock.monotonicNanoseconds())
        }
    }

    private mutating func parse(_ index: Int, _ bytes: UnsafeRawBufferPointer) {
        let slot = slots[index]
        var offset = 0
        while true {
            let event: ResponseEvent
            do {
                event = try slot.pointee.parser.parse(bytes, offset: &offset)
            } catch {
                tally.malformed(error)
                finish(index, .failure(.malformedResponse, errno: 0), now: Clock.monotonicNanoseconds())
                return
            }
            switch event {
            case .needMoreInput:
                return
            case .headComplete:
                tally.headComplete(slot, index: index)
            case .body(let range):
                let piece = UnsafeRawBufferPointer(rebasing: bytes[range])
                tally.bodyPiece(piece, index: index)
                slot.pointee.answer.scan(piece)
                if slot.pointee.parser.isEventStream {
                    timeTokenEvents(slot, piece)
                } else if plan.requests.validatesOpenAI {
                    slot.pointee.answer.validate(piece)
                }
            case .messageComplete:
                // Bytes after a complete response were never asked for (we do not pipeline): the
                // connection's framing can no longer be trusted, so it is closed after this one.
                let unsolicited = offset < bytes.count
                finish(index, .response(closeAfter: unsolicited), now: Clock.monotonicNanoseconds())
                return
            }
        }
    }

    /// Each token event of a stream (a chunk with a choice, not the role-only first one): the
    /// first sets the TTFT, each later one adds an inter-token gap, and its tokens per-token gaps.
    private mutating func timeTokenEvents(_ slot: UnsafeMutablePointer<ConnectionSlot>, _ piece: UnsafeRawBufferPointer) {
        var offset = 0
        while let chunk = slot.pointee.answer.nextTokenChunk(in: piece, offset: &offset) {
            let gaps = slot.pointee.timing.tokenChunk(at: Clock.monotonicNanoseconds(), completionTokens: chunk.completionTokens)
            tally.tokenChunk(gaps, slot: slot)
        }
    }

    /// The peer closed the connection: that completes a body delimited by the close, and fails
    /// any other response in flight.
    private mutating func peerClosed(_ index: Int) {
        let slot = slots[index]
        guard slot.pointee.hasRequestInFlight else {
            closeConnection(index)
            return
        }
        do {
            if try slot.pointee.parser.inputEnded() {
                finish(index, .response(closeAfter: true), now: Clock.monotonicNanoseconds())
            } else {
                finish(index, .failure(.connectionClosed, errno: 0), now: Clock.monotonicNanoseconds())
            }
        } catch {
            finish(index, .failure(.connectionClosed, errno: 0), now: Clock.monotonicNanoseconds())
        }
    }
}
