/// Keeps the start of one error response's body as the example for its status, so an error summary
/// can show what the server said: the first measured response with each status >= 400, at most
/// `bodyLimit` bytes, one response at a time. Error path only: the allocation is once per status.
struct ErrorExampleCapture {
    /// Bytes of an error body kept as the example for its status.
    static let bodyLimit = 200

    /// The slot whose response body is being kept (-1: none).
    private(set) var slot = -1
    private var body: [UInt8] = []

    /// A response head with `status` >= 400 on `index`: keep its body if that status has no
    /// example yet and no other body is being kept.
    mutating func consider(_ index: Int, status: Int, examples: [HTTPErrorExample]) {
        guard slot < 0, !examples.contains(where: { $0.status == status }) else { return }
        slot = index
        body.removeAll(keepingCapacity: true)
    }

    mutating func keep(_ piece: UnsafeRawBufferPointer) {
        let room = Self.bodyLimit - body.count
        if room > 0 { body.append(contentsOf: piece.prefix(room)) }
    }

    /// The response on `index` ended: its example is stored when it completed, dropped otherwise.
    mutating func ended(_ index: Int, completed: Bool, status: Int, into examples: inout [HTTPErrorExample]) {
        guard index == slot else { return }
        slot = -1
        if completed { examples.append(HTTPErrorExample(status: status, body: body)) }
    }
}
