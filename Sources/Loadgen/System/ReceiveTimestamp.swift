import CEpoll
import Glibc

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

extension Socket {
    /// SO_TIMESTAMPNS: the kernel stamps every segment this socket receives, in software, and
    /// `FileDescriptor.receive` returns the stamp of the bytes it reads. False if the socket
    /// refused (then reads carry no stamp). Enabling it on any socket turns on receive
    /// timestamping in the kernel for every packet (one clock read per packet, system-wide).
    @discardableResult
    package static func enableReceiveTimestamps(_ fd: FileDescriptor) -> Bool {
        CEpoll_enable_receive_timestamps(fd.rawValue) == 0
    }
}
