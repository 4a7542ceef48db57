/// HTTPS in the event loop: the handshake after the TCP connect, and reads and writes through
/// each slot's TLS session, with OpenSSL's WANT_READ/WANT_WRITE driving the epoll interest.
///
/// The rules, in the terms of the plain path:
/// - Read interest stays on, as for plain HTTP. A step that wants the socket writable turns
///   write interest on; the next step that does not, turns it off again.
/// - After bytes are read, read again while OpenSSL holds more (`hasBufferedInput`): with
///   read-ahead one read(2) takes several records, and epoll never fires for bytes that have
///   left the socket.
/// - A write that wants a read (a renegotiation) is retried on the next readable event
///   (`ConnectionTLS.writeWantsRead`): OpenSSL requires the same call again, with the same bytes.
/// - Failures: a handshake failure, or a record failure carrying an OpenSSL error, is `tls`
///   (its reason the example); a socket error is `closed`, as in plain HTTP; a close with or
///   without close_notify is the peer closing.
extension ClientEventLoop {
    // MARK: Handshake

    /// TCP connected at `now`: start the session and send the ClientHello at once (it fits in
    /// the socket's send buffer; the handshake time starts here).
    mutating func startHandshake(_ index: Int, _ tls: LoopTLS, now: UInt64) {
        guard let setup = plan.tls else { return }
        let slot = slots[index]
        let connection = tls.connections + index
        connection.pointee.socket.fd = slot.pointee.fd
        connection.pointee.socket.control = receiveClock.control
        connection.pointee.handshakeStartedNanoseconds = now
        connection.pointee.writeWantsRead = false
        connection.pointee.answered = false
        do {
            connection.pointee.session = try TLSConnection(client: setup.context, socketRecord: tls.socketRecord(index),
                                                           serverName: setup.serverName, sessions: tls.sessions.pointee)
        } catch {
            tlsFailed(index, reason: error.description)
            return
        }
        slot.pointee.phase = .handshaking
        continueHandshake(index, tls)
    }

    /// Advances the handshake on an event (or right after the connect).
    mutating func continueHandshake(_ index: Int, _ tls: LoopTLS) {
        let connection = tls.connections + index
        guard let session = connection.pointee.session else { return }
        switch session.handshake() {
        case .done:
            let now = Clock.monotonicNanoseconds()
            tally.tlsHandshake(nanoseconds: now &- connection.pointee.handshakeStartedNanoseconds, resumed: session.isResumed)
            connected(index, now: now)
        case .wantRead:
            if slots[index].pointee.watchingWritable { watchWritable(index, false) }
        case .wantWrite:
            if !slots[index].pointee.watchingWritable { watchWritable(index, true) }
        case .failed(let failure):
            tlsFailed(index, reason: failure.reason)
        }
    }

    /// The connect deadline passed mid-handshake.
    mutating func handshakeTimedOut(_ index: Int, now: UInt64) {
        let seconds = Double(min(plan.connectTimeoutNanoseconds, plan.requestTimeoutNanoseconds)) / 1e9
        tlsFailed(index, reason: "the TLS handshake did not complete within the connect timeout ("
                  + Format.fixed(seconds, decimals: 3, trimZeros: true) + " s): is the server speaking TLS?")
    }

    /// Ends the request on `index` as `tls`, keeping `reason` as the example if it is the first.
    private mutating func tlsFailed(_ index: Int, reason: () -> String) {
        tally.tlsFailed(reason: reason)
        finish(index, .failure(.tls, errno: 0), now: Clock.monotonicNanoseconds())
    }

    private mutating func tlsFailed(_ index: Int, reason: @autoclosure () -> String) {
        tlsFailed(index, reason: reason)
    }

    /// A read or write failed: an OpenSSL error is `tls`, a socket error `closed`.
    private mutating func transferFailed(_ index: Int, _ failure: TLSFailure) {
        if failure.isSocketError {
            finish(index, .failure(.connectionClosed, errno: 0), now: Clock.monotonicNanoseconds())
        } else {
            tlsFailed(index, reason: failure.reason)
        }
    }

    // MARK: Data

    /// Reads the response on `index` through its session: every record OpenSSL can give now.
    mutating func readTLSResponse(_ index: Int, _ tls: LoopTLS) {
        let connection = tls.connections + index
        guard let session = connection.pointee.session else { return }
        if connection.pointee.writeWantsRead {
            connection.pointee.writeWantsRead = false
            sendTLSRequest(index, tls)
            return
        }
        let slot = slots[index]
        while true {
            // The one read call site of https: after it, the bytes' kernel receive time is the
            // one the BIO kept from its last recvmsg (`TLSSocketRecord`).
            switch session.read(into: readBuffer) {
            case .transferred(let count):
                if !connection.pointee.answered {
                    // The server took the handshake (and any client certificate): this
                    // connection worked, for the connect backoff.
                    connection.pointee.answered = true
                    backoff.connected(slot)
                }
                if slot.pointee.watchingWritable, slot.pointee.phase == .awaitingResponse { watchWritable(index, false) }
                received(index, count, arrived(slot, kernelStamp: connection.pointee.socket.latestReceiveNanoseconds))
                // The request ended (and the session may be gone with its connection), or
                // OpenSSL holds nothing more: wait for the socket.
                guard slot.pointee.phase == .awaitingResponse || slot.pointee.phase == .sending, session.hasBufferedInput else { return }
            case .wantRead:
                if slot.pointee.watchingWritable, slot.pointee.phase == .awaitingResponse { watchWritable(index, false) }
                return
            case .wantWrite:
                if !slot.pointee.watchingWritable { watchWritable(index, true) }
                return
            case .closed:
                peerClosed(index)
                return
            case .failed(let failure):
                transferFailed(index, failure)
                return
            }
        }
    }

    /// Writes what is left of the request through the session: one record per call, as long as
    /// the socket takes them. A request with a patched number is gathered into the loop's
    /// scratch buffer (one record, one send, where plain HTTP uses one sendmsg).
    mutating func sendTLSRequest(_ index: Int, _ tls: LoopTLS) {
        let connection = tls.connections + index
        guard let session = connection.pointee.session else { return }
        let slot = slots[index]
        let template = plan.requests.templates[slot.pointee.template]
        let request = sessions?.request(index) ?? template.bytes
        while true {
            let offset = slot.pointee.writeOffset
            let result: TLSIOResult
            if template.counterOffset < 0 {
                result = session.write(UnsafeRawBufferPointer(rebasing: request[offset...]))
            } else {
                result = slot.pointee.number.write(request, counterOffset: template.counterOffset, from: offset,
                                                   on: session, through: tls.scratch)
            }
            switch result {
            case .transferred(let count):
                tally.bytesSent(count)
                slot.pointee.writeOffset = offset + count
                if offset + count == request.count {
                    slot.pointee.phase = .awaitingResponse
                    if slot.pointee.watchingWritable { watchWritable(index, false) }
                    return
                }
            case .wantWrite:
                if !slot.pointee.watchingWritable { watchWritable(index, true) }
                return
            case .wantRead:
                connection.pointee.writeWantsRead = true
                if slot.pointee.watchingWritable { watchWritable(index, false) }
                return
            case .closed:
                finish(index, .failure(.connectionClosed, errno: 0), now: Clock.monotonicNanoseconds())
                return
            case .failed(let failure):
                transferFailed(index, failure)
                return
            }
        }
    }

    /// An event on a connection with no request in flight. Plain HTTP can only mean the peer
    /// closed it; over TLS it is often a late session ticket (TLS 1.3 servers send them after
    /// the handshake) or a key update, which keep the connection. Application data, a close
    /// or a failure end it.
    mutating func idleTLSEvent(_ index: Int, _ tls: LoopTLS) {
        guard slots[index].pointee.fd >= 0, let session = tls.connections[index].session else {
            closeConnection(index)
            return
        }
        switch session.read(into: readBuffer) {
        case .wantRead:
            if slots[index].pointee.watchingWritable { watchWritable(index, false) }
        case .wantWrite:
            if !slots[index].pointee.watchingWritable { watchWritable(index, true) }
        case .transferred, .closed, .failed:
            closeConnection(index)
        }
    }
}
