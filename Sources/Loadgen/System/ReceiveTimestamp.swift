import CEpoll
import Glibc
import Synchronization

/// The control buffer `recvmsg` fills with the kernel's receive timestamp of the bytes it returns.
///
/// One per event loop, allocated once: a loop reads one socket at a time, and the timestamp is
/// taken out of the buffer before the next read. A TLS connection's BIO reads through the same
/// function (`FileDescriptor.receive(into:control:kernelStamp:)`) with its loop's buffer.
package struct ReceiveControlBuffer {
    package let bytes: UnsafeMutableRawBufferPointer

    /// Bytes for one timestamp control message (CMSG_SPACE of a timespec: 32 on 64-bit Linux).
    package static let size = CEpoll_receive_control_size()

    package static func allocate() -> ReceiveControlBuffer {
        // cmsghdr is read with size_t fields: the buffer must be aligned as one.
        ReceiveControlBuffer(bytes: .allocate(byteCount: size, alignment: MemoryLayout<Int>.alignment))
    }

    package func deallocate() { bytes.deallocate() }
}

extension FileDescriptor {
    /// Reads like `read(into:)`, with `recvmsg`, and when bytes arrive sets `kernelStamp` to the
    /// kernel's receive time of the last segment the read consumed (CLOCK_REALTIME nanoseconds,
    /// as SO_TIMESTAMPNS stamps it), or to 0 when none came with them (timestamps not enabled on
    /// the socket, see `Socket.enableReceiveTimestamps`). Otherwise `kernelStamp` is left as it
    /// was, so a caller that reads until EAGAIN keeps the stamp of its last bytes.
    ///
    /// For TCP the kernel keeps one stamp per queued segment and recvmsg reports the last one it
    /// copied from; segments merged in the receive queue keep the later stamp. So the stamp is
    /// when the last of the returned bytes arrived: earlier bytes of the same read may have
    /// waited longer. Hot path: no error value is built for the expected outcomes.
    @inline(__always)
    package func receive(into buffer: UnsafeMutableRawBufferPointer, control: ReceiveControlBuffer,
                         kernelStamp: inout UInt64) -> IOOutcome {
        let result = retryingInterrupts {
            CEpoll_recv_stamped(rawValue, buffer.baseAddress, buffer.count, control.bytes.baseAddress, control.bytes.count,
                                &kernelStamp)
        }
        return IOOutcome(result, zeroIsEndOfFile: true)
    }
}

/// Turns the kernel's receive timestamping on and waits until it is, then keeps it on while it
/// lives.
///
/// The kernel stamps received packets only while some socket of the system asks for it, and it
/// switches that on (and off, after the last such socket closes) in a deferred work item: on a
/// busy machine the first tens of milliseconds of a run, or all of a short one, could otherwise
/// come without stamps. So before a run starts its loops, one end of a loopback TCP pair asks for
/// stamps and the other sends it a byte every millisecond until one arrives stamped (or the
/// timeout passes; then reads fall back to the user clock and say so), and the pair stays open
/// for the run, so stamping stays on even when every connection closes at once. (TCP, because a
/// UDP socket cannot tell: recvmsg stamps an unstamped datagram itself, when it is read.) Where
/// the stamps never came (a kernel or sandbox that accepts the option and stamps nothing), later
/// runs of the process do not wait again.
package struct ReceiveTimestampSwitch: ~Copyable, Sendable {
    private let receiver: FileDescriptor?
    private let sender: FileDescriptor?
    /// Whether a probe arrived stamped.
    package let isOn: Bool

    package init(timeoutMilliseconds: Int) {
        var fds: [Int32] = [-1, -1]
        guard CEpoll_tcp_loopback_pair(&fds) == 0 else {
            receiver = nil
            sender = nil
            isOn = false
            return
        }
        let receiver = FileDescriptor(rawValue: fds[0])
        let sender = FileDescriptor(rawValue: fds[1])
        self.receiver = receiver
        self.sender = sender
        guard Socket.enableReceiveTimestamps(receiver) else {
            isOn = false
            return
        }
        let control = ReceiveControlBuffer.allocate()
        defer { control.deallocate() }
        var byte: UInt8 = 0
        var stamped = false
        let waits = receiveTimestampsNeverCame.load(ordering: .relaxed) ? 0 : max(timeoutMilliseconds, 0)
        for _ in 0...waits {
            _ = withUnsafeBytes(of: &byte) { sender.send($0) }
            var stamp: UInt64 = 0
            while case .transferred = withUnsafeMutableBytes(of: &byte, { receiver.receive(into: $0, control: control, kernelStamp: &stamp) }) {
                if stamp != 0 { stamped = true }
            }
            if stamped { break }
            _ = ProcessResources.sleep(milliseconds: 1)
        }
        isOn = stamped
        if !stamped { receiveTimestampsNeverCame.store(true, ordering: .relaxed) }
    }

    deinit {
        receiver?.close()
        sender?.close()
    }
}

/// A switch of this process waited its whole timeout for a stamp that never came.
private let receiveTimestampsNeverCame = Atomic<Bool>(false)

extension Socket {
    /// SO_TIMESTAMPNS: the kernel stamps every segment this socket receives, in software, and
    /// `FileDescriptor.receive` returns the stamp of the bytes it reads. False if the socket
    /// refused (then reads carry no stamp). Enabling it on any socket turns on receive
    /// timestamping in the kernel for every packet (one clock read per packet, system-wide), and
    /// the kernel does that in a deferred work item when this is the first socket of the system
    /// to ask: bytes arriving in the first moments may still come without a stamp.
    @discardableResult
    package static func enableReceiveTimestamps(_ fd: FileDescriptor) -> Bool {
        CEpoll_enable_receive_timestamps(fd.rawValue) == 0
    }
}
