/// Which clock stamps the arrival of response bytes, and so the end of TTFT, ITL, E2E and latency.
///
/// `.kernel` (the default): the kernel's receive timestamp of the bytes a read returned
/// (SO_TIMESTAMPNS, the last segment the read consumed), so a late client does not make a server
/// look slow: the time the bytes waited in the socket for the event loop is the client lag
/// (`RunResult.clientLag`), reported apart. A read that comes without a stamp uses the user clock
/// (`RunResult.readsWithoutKernelStamp` counts them). `.user`: the clock the loop reads when it
/// gets to the bytes, as loadgen did before (every text event of a stream timed as the scan
/// reaches it). Either way the send side is stamped by the user clock at the send, and receive
/// timestamps stay on, so the client lag is measured in both.
public enum TimestampSource: String, Sendable, Equatable, CaseIterable {
    /// The kernel's receive time of a read's last segment (`--stamp kernel`).
    case kernel
    /// The event loop's clock as it reaches each event (`--stamp user`).
    case user
}
