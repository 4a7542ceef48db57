import HTTPWire

/// What every session of a run is made of, built before the run and shared read-only by the
/// event loops: the request's fixed pieces, cut out of the workload's single-turn template (so a
/// session's request has the same head, model and sampling options as a single-turn one), and
/// each conversation's user turns as JSON-escaped bytes, in one allocation.
///
/// A turn's request, as `SessionTable` writes it into a connection's buffer:
///
///     headPrefix  digits  headSuffix  bodyPrefix {"role":"user","content":"U0"}
///       ,{"role":"assistant","content":"A0"},{"role":"user","content":"U1"} ...  tail
///
/// `headPrefix` ends with `Content-Length: `, `bodyPrefix` with `"messages":[`, `tail` is `]`
/// and the members after the messages (`max_tokens`, `stream`, ...): one per turn, since a
/// dataset's turns ask for their own `max_tokens`. A conversation's system messages go before
/// its first user message (`opening`), and stay at the head of its history. Allocated once, written
/// before the loops start and freed after they are joined: the `@unchecked Sendable` is true.
final class SessionScript: @unchecked Sendable {
    /// One user turn: its escaped text in `bytes`, and where its request number goes (-1: none).
    struct Turn {
        let offset: Int
        let count: Int
        /// The first of the header's number symbols within the text, or -1 (dataset texts).
        let numberOffset: Int
        /// The request's end after this turn (`]`, its `max_tokens` and the other members), in the text.
        let tailOffset: Int
        let tailCount: Int
        /// The first turn of a conversation with system messages: those, before the user message.
        let openingOffset: Int
        let openingCount: Int
        /// What the turn asks for, as the per-turn figures count it: its user text's tokens (by
        /// the run's tokenizer) and its `max_tokens`.
        let userTokens: Int
        let maxTokens: Int
    }

    static let userOpen: StaticString = #"{"role":"user","content":""#
    static let assistantOpen: StaticString = #",{"role":"assistant","content":""#
    static let assistantToUser: StaticString = #""},{"role":"user","content":""#
    static let userClose: StaticString = #""}"#
    /// Content-Length digits: a request buffer is far below 10^12 bytes.
    static let lengthDigits = 12

    let headPrefix: [UInt8]
    let headSuffix: [UInt8]
    let bodyPrefix: [UInt8]
    let tail: [UInt8]
    /// The user turns of each conversation.
    let conversations: [[Turn]]
    /// Per conversation and turn k: the bytes the request still needs after answer k (every
    /// later user turn with its wrapping, the tail), so answer k may fill what is left.
    let reservedAfterAnswer: [[Int]]
    /// Bytes of one connection's request buffer.
    let capacity: Int
    /// Where the body starts in the buffer: the head is written right before it.
    let bodyStart: Int
    let thinkTimeNanoseconds: UInt64
    /// The turns of the longest conversation: the per-turn statistics' count.
    let longestSession: Int
    /// Synthetic sessions' turns; 0 with conversations (each its own).
    let turnsPerSession: Int
    private let text: UnsafeMutableRawBufferPointer
    /// The same in raw storage, for the event loops (`SessionTable` copies it): read with no
    /// reference counting, where an array or a method of this class would be retained and
    /// released at every access.
    let layout: Layout
    private let pieces: UnsafeMutableRawBufferPointer
    private let flatTurns: UnsafeMutablePointer<Turn>
    private let flatReserved: UnsafeMutablePointer<Int>
    private let firstTurn: UnsafeMutablePointer<Int>

    struct Layout {
        let headPrefix: UnsafeRawBufferPointer
        let headSuffix: UnsafeRawBufferPointer
        let bodyPrefix: UnsafeRawBufferPointer
        let tail: UnsafeRawBufferPointer
        let text: UnsafeRawBufferPointer
        /// Every conversation's turns in a row; conversation c's are `firstTurn[c]..<firstTurn[c + 1]`.
        let turns: UnsafePointer<Turn>
        /// `reservedAfterAnswer`, in the same order.
        let reserved: UnsafePointer<Int>
        let firstTurn: UnsafePointer<Int>
        let conversationCount: Int
        let bodyStart: Int
        let capacity: Int
        let thinkTimeNanoseconds: UInt64

        @inline(__always)
        func turnCount(_ conversation: Int) -> Int { firstTurn[conversation + 1] - firstTurn[conversation] }

        @inline(__always)
        func turn(_ conversation: Int, _ turn: Int) -> Turn { turns[firstTurn[conversation] + turn] }

        @inline(__always)
        func reserved(_ conversation: Int, _ turn: Int) -> Int { reserved[firstTurn[conversation] + turn] }

        @inline(__always)
        func text(of turn: Turn) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: text[turn.offset..<(turn.offset + turn.count)])
        }

        @inline(__always)
        func tail(of turn: Turn) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: text[turn.tailOffset..<(turn.tailOffset + turn.tailCount)])
        }

        @inline(__always)
        func opening(of turn: Turn) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: text[turn.openingOffset..<(turn.openingOffset + turn.openingCount)])
        }
    }

    /// Cuts `template` (the workload's single-turn request) into the session's pieces; the user
    /// turns are `conversations`, or else `turns` copies of the template's prompt.
    init(_ sessions: MultiTurnSessions, template: RequestTemplate) throws(LoadgenError) {
        let bytes = template.bytes
        let lengthKey = Array("\r\nContent-Length: ".utf8)
        guard let headEnd = ByteSearch.firstIndex(of: Array("\r\n\r\n".utf8), in: bytes).map({ $0 + 4 }),
              let lengthAt = ByteSearch.firstIndex(of: lengthKey, in: bytes), lengthAt < headEnd else {
            throw .invalidPlan("multi-turn sessions: the request has no Content-Length (is one given with -H?)")
        }
        let digitsStart = lengthAt + lengthKey.count
        var digitsEnd = digitsStart
        while digitsEnd < headEnd, bytes[digitsEnd] >= UInt8(ascii: "0"), bytes[digitsEnd] <= UInt8(ascii: "9") { digitsEnd += 1 }
        let headPrefix = Array(bytes[0..<digitsStart])
        let headSuffix = Array(bytes[digitsEnd..<headEnd])
        let body = Array(bytes[headEnd...])
        let messagesKey = Array(#""messages":["#.utf8)
        let userKey = Array(#"{"role":"user","content":""#.utf8)
        guard let messagesAt = ByteSearch.firstIndex(of: messagesKey, in: body),
              Array(body[(messagesAt + messagesKey.count)...].prefix(userKey.count)) == userKey else {
            throw .invalidPlan("multi-turn sessions need chat requests with one text message (no images)")
        }
        let messagesStart = messagesAt + messagesKey.count
        // The prompt's escaped text runs to the first quote no backslash escapes.
        let promptStart = messagesStart + userKey.count
        var promptEnd = promptStart
        while promptEnd < body.count, body[promptEnd] != UInt8(ascii: "\"") {
            promptEnd += body[promptEnd] == UInt8(ascii: "\\") ? 2 : 1
        }
        guard promptEnd + 1 < body.count, body[promptEnd + 1] == UInt8(ascii: "}") else {
            throw .invalidPlan("multi-turn sessions: the request's message is not a plain text one")
        }
        let bodyPrefix = Array(body[0..<messagesStart])
        let tail = Array(body[(promptEnd + 2)...])
        let escapedPrompt = Array(body[promptStart..<promptEnd])

        // A turn's own `max_tokens` goes into its copy of the tail, in place of the template's.
        let maxTokensKey = Array(#""max_tokens":"#.utf8)
        var tailDigits: Range<Int>?
        if let keyAt = ByteSearch.firstIndex(of: maxTokensKey, in: tail) {
            var digitsEnd = keyAt + maxTokensKey.count
            while digitsEnd < tail.count, tail[digitsEnd] >= UInt8(ascii: "0"), tail[digitsEnd] <= UInt8(ascii: "9") { digitsEnd += 1 }
            tailDigits = (keyAt + maxTokensKey.count)..<digitsEnd
        }
        func tailBytes(maxTokens: Int?) throws(LoadgenError) -> [UInt8] {
            guard let maxTokens, maxTokens != template.outputTokens else { return tail }
            guard let tailDigits else { throw .invalidPlan("multi-turn sessions: the request has no max_tokens to set per turn") }
            return Array(tail[..<tailDigits.lowerBound]) + Array(String(maxTokens).utf8) + Array(tail[tailDigits.upperBound...])
        }

        // The texts (user turns, openings, tails), escaped, in one allocation; equal tails once.
        var texts: [[UInt8]] = [tail]
        var tailIndex: [[UInt8]: Int] = [tail: 0]
        func tailPiece(_ maxTokens: Int?) throws(LoadgenError) -> Int {
            let bytes = try tailBytes(maxTokens: maxTokens)
            if let index = tailIndex[bytes] { return index }
            texts.append(bytes)
            tailIndex[bytes] = texts.count - 1
            return texts.count - 1
        }
        struct Shape {
            var opening = -1
            var turns: [(text: Int, numberOffset: Int, tail: Int, outputTokens: Int, userTokens: Int)] = []
        }
        var shapes: [Shape] = []
        if let scripted = sessions.scripted {
            for conversation in scripted {
                var shape = Shape()
                if !conversation.opening.isEmpty {
                    // `{"role":"system","content":"..."},` before the first user message.
                    var opening: [UInt8] = []
                    for message in conversation.opening {
                        opening += Array(#"{"role":"#.utf8)
                        OpenAIWorkload.appendJSONString(message.role, to: &opening)
                        opening += Array(#","content":"#.utf8)
                        OpenAIWorkload.appendJSONString(message.content, to: &opening)
                        opening += Array("},".utf8)
                    }
                    shape.opening = texts.count
                    texts.append(opening)
                }
                for turn in conversation.turns {
                    texts.append(Array(JSONValue.string(turn.user).serialized().utf8.dropFirst().dropLast()))
                    shape.turns.append((texts.count - 1, -1, try tailPiece(turn.maxTokens), turn.maxTokens ?? template.outputTokens,
                                        turn.userTokens))
                }
                shapes.append(shape)
            }
        } else {
            // The template's number offset, within the text.
            let numberOffset = template.counterOffset.map { $0 - headEnd - promptStart } ?? -1
            texts.append(escapedPrompt)
            let turn = (text: texts.count - 1, numberOffset: numberOffset, tail: 0, outputTokens: template.outputTokens,
                        userTokens: template.inputTokens)
            shapes.append(Shape(turns: Array(repeating: turn, count: sessions.turns)))
        }
        let total = texts.reduce(0) { $0 + $1.count }
        let text = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 16)
        var offsets: [Int] = []
        var at = 0
        for piece in texts {
            offsets.append(at)
            piece.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: text[at..<(at + piece.count)]).copyMemory(from: $0) }
            at += piece.count
        }
        let conversations = shapes.map { shape in
            shape.turns.enumerated().map { k, turn in
                Turn(offset: offsets[turn.text], count: texts[turn.text].count, numberOffset: turn.numberOffset,
                     tailOffset: offsets[turn.tail], tailCount: texts[turn.tail].count,
                     openingOffset: k == 0 && shape.opening >= 0 ? offsets[shape.opening] : 0,
                     openingCount: k == 0 && shape.opening >= 0 ? texts[shape.opening].count : 0,
                     userTokens: turn.userTokens, maxTokens: turn.outputTokens)
            }
        }

        // Room: the fixed bytes of the longest conversation, and each answer's share. Answer k
        // goes after the assistant's opening of turn k + 1; after it the request still needs
        // the rest of turn k + 1's wrapping and text, each later turn but its answer, a tail
        // (the longest of the conversation's: they differ only in their max_tokens digits).
        var reserved: [[Int]] = []
        var largest = 0
        for (index, turns) in conversations.enumerated() {
            let last = turns.count - 1
            let longestTail = turns.map(\.tailCount).max() ?? tail.count
            var after = Array(repeating: 0, count: turns.count)
            for k in stride(from: last - 1, through: 0, by: -1) {
                let rest = k + 1 == last ? longestTail : Self.assistantOpen.utf8CodeUnitCount + after[k + 1]
                after[k] = Self.assistantToUser.utf8CodeUnitCount + turns[k + 1].count + Self.userClose.utf8CodeUnitCount + rest
            }
            reserved.append(after)
            var fixed = bodyPrefix.count + turns[0].openingCount + Self.userOpen.utf8CodeUnitCount + turns[0].count
                + Self.userClose.utf8CodeUnitCount + longestTail
            var answers = 0
            for k in 1..<max(turns.count, 1) {
                fixed += Self.assistantOpen.utf8CodeUnitCount + Self.assistantToUser.utf8CodeUnitCount + turns[k].count + Self.userClose.utf8CodeUnitCount
                answers += max(shapes[index].turns[k - 1].outputTokens, 1) * sessions.answerBytesPerToken
            }
            largest = max(largest, fixed + answers)
        }
        let fixedPieces = [headPrefix, headSuffix, bodyPrefix, tail]
        let pieces = UnsafeMutableRawBufferPointer.allocate(byteCount: max(fixedPieces.reduce(0) { $0 + $1.count }, 1), alignment: 16)
        var views: [UnsafeRawBufferPointer] = []
        var offset = 0
        for piece in fixedPieces {
            let view = UnsafeMutableRawBufferPointer(rebasing: pieces[offset..<(offset + piece.count)])
            piece.withUnsafeBytes { view.copyMemory(from: $0) }
            views.append(UnsafeRawBufferPointer(view))
            offset += piece.count
        }
        self.pieces = pieces
        let turnTotal = conversations.reduce(0) { $0 + $1.count }
        flatTurns = UnsafeMutablePointer<Turn>.allocate(capacity: max(turnTotal, 1))
        flatReserved = UnsafeMutablePointer<Int>.allocate(capacity: max(turnTotal, 1))
        firstTurn = UnsafeMutablePointer<Int>.allocate(capacity: conversations.count + 1)
        var next = 0
        for (index, turns) in conversations.enumerated() {
            firstTurn[index] = next
            for (k, turn) in turns.enumerated() {
                (flatTurns + next).initialize(to: turn)
                flatReserved[next] = reserved[index][k]
                next += 1
            }
        }
        firstTurn[conversations.count] = next
        self.headPrefix = headPrefix
        self.headSuffix = headSuffix
        self.bodyPrefix = bodyPrefix
        self.tail = tail
        self.text = text
        self.conversations = conversations
        reservedAfterAnswer = reserved
        bodyStart = headPrefix.count + Self.lengthDigits + headSuffix.count
        capacity = bodyStart + largest
        thinkTimeNanoseconds = Clock.nanoseconds(seconds: sessions.thinkTimeSeconds)
        longestSession = conversations.map(\.count).max() ?? 1
        turnsPerSession = sessions.scripted == nil ? sessions.turns : 0
        layout = Layout(headPrefix: views[0], headSuffix: views[1], bodyPrefix: views[2], tail: views[3],
                        text: UnsafeRawBufferPointer(text), turns: flatTurns, reserved: flatReserved, firstTurn: firstTurn,
                        conversationCount: conversations.count, bodyStart: bodyStart, capacity: capacity,
                        thinkTimeNanoseconds: thinkTimeNanoseconds)
    }

    deinit {
        text.deallocate()
        pieces.deallocate()
        flatTurns.deallocate()
        flatReserved.deallocate()
        firstTurn.deallocate()
    }


    /// The escaped text of `turn`.
    @inline(__always)
    func text(of turn: Turn) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: text[turn.offset..<(turn.offset + turn.count)])
    }
}
