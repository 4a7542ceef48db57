import HTTPWire

/// Reading responses: the bytes go through the parser; the body to the OpenAI checks and, for
/// streams, to the token timing.
extension ClientEventLoop {
    mutating func readResponse(_ index: Int) {
        if let tls {
            readTLSResponse(index, tls)
            return
        }
        let slot = slots[index]
        let fd = FileDescriptor(rawValue: slot.pointee.fd)
        var kernelStamp: UInt64 = 0
        switch fd.receive(into: readBuffer, control: receiveClock.control, kernelStamp: &kernelStamp) {
        case .transferred(let count):
            received(index, count, arrived(slot, kernelStamp: kernelStamp))
        case .wouldBlock:
            return
        case .endOfFile:
            peerClosed(index)
        case .failed:
            finish(index, .failure(.connectionClosed, errno: 0), now: Clock.monotonicNanoseconds())
        }
    }

    /// Bytes of the response on `slot` were just read, with the kernel's receive timestamp
    /// `kernelStamp` (0: none): books the client lag and returns when the read's events count as
    /// arrived. The one place a read is timed (a TLS read passes the stamp its BIO kept).
    @inline(__always)
    mutating func arrived(_ slot: UnsafeMutablePointer<ConnectionSlot>, kernelStamp: UInt64) -> ReadStamp {
        let now = Clock.monotonicNanoseconds()
        let arrival = receiveClock.arrival(kernelStamp: kernelStamp, now: now, start: slot.pointee.requestStartNanoseconds)
        tally.read(slot, arrival: arrival, now: now)
        return ReadStamp(arrival: receiveClock.source == .kernel ? arrival : nil)
    }

    /// `count` bytes of the response on `index` are in the read buffer (from a read, or TLS's),
    /// arrived at `stamp`.
    @inline(__always)
    mutating func received(_ index: Int, _ count: Int, _ stamp: ReadStamp) {
        let slot = slots[index]
        tally.bytesReceived(count)
        slot.pointee.responseBytes &+= count
        if slot.pointee.responseBytes > plan.maxResponseBytes {
            finish(index, .failure(.responseTooLarge, errno: 0), now: stamp.eventTime())
            return
        }
        parse(index, UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]), stamp)
    }

    private mutating func parse(_ index: Int, _ bytes: UnsafeRawBufferPointer, _ stamp: ReadStamp) {
        let slot = slots[index]
        var offset = 0
        // Token events of this read so far: each after the first arrived merged with it.
        var tokenEventsInRead = 0
        while true {
            let event: ResponseEvent
            do {
                event = try slot.pointee.parser.parse(bytes, offset: &offset)
            } catch {
                tally.malformed(error)
                finish(index, .failure(.malformedResponse, errno: 0), now: stamp.eventTime())
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
                // A session keeps the answer's text for its next turn (an error's body is no answer).
                if let sessions, slot.pointee.parser.statusCode < 300, !sessions.capture(index, piece) {
                    finish(index, .failure(.answerTooLong, errno: 0), now: stamp.eventTime())
                    return
                }
                if slot.pointee.parser.isEventStream {
                    timeTokenEvents(slot, piece, stamp, inRead: &tokenEventsInRead)
                } else if plan.requests.validatesOpenAI {
                    slot.pointee.answer.validate(piece)
                }
            case .messageComplete:
                // Bytes after a complete response were never asked for (we do not pipeline): the
                // connection's framing can no longer be trusted, so it is closed after this one.
                let unsolicited = offset < bytes.count
                finish(index, .response(closeAfter: unsolicited), now: stamp.eventTime())
                return
            }
        }
    }

    /// Each token event of a stream (a chunk with a choice, not the role-only first one): the
    /// first sets the TTFT, each later one adds an inter-token gap, and its tokens per-token gaps.
    /// With kernel stamps, the events of one read share its arrival time (the kernel's stamp of
    /// its last segment); `inRead` counts them over the read's body pieces, so that those after
    /// the first are counted as merged.
    private mutating func timeTokenEvents(_ slot: UnsafeMutablePointer<ConnectionSlot>, _ piece: UnsafeRawBufferPointer,
                                          _ stamp: ReadStamp, inRead: inout Int) {
        var offset = 0
        while let chunk = slot.pointee.answer.nextTokenChunk(in: piece, offset: &offset) {
            let gaps = slot.pointee.timing.tokenChunk(at: stamp.eventTime(), completionTokens: chunk.completionTokens)
            tally.tokenChunk(gaps, merged: inRead > 0, slot: slot)
            inRead += 1
        }
    }

    /// The peer closed the connection: that completes a body delimited by the close, and fails
    /// any other response in flight.
    mutating func peerClosed(_ index: Int) {
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
