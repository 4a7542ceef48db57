/// The `decoder` of a tokenizer file: turns the tokens of ids back into text, as a chain of
/// steps over a list of token strings (`tokenizers`' `decode_chain`), joined at the end.
enum TokenDecoderStep: Sendable {
    /// Concatenates all tokens, maps characters back to bytes, repairs invalid UTF-8 with U+FFFD.
    case byteLevel
    /// Per token: the replacement character becomes a space (none in the first token unless the
    /// prepend scheme is `never`).
    case metaspace(replacement: UInt32, prependScheme: PreTokenizerStep.PrependScheme)
    case replace(TextPattern, content: [UInt8])
    /// Runs of `<0xXX>` tokens become the text of their bytes (or one U+FFFD per byte if invalid).
    case byteFallback
    case fuse
    /// Per token: up to `start` leading and `stop` trailing `content` characters removed.
    case strip(content: UInt32, start: Int, stop: Int)

    static func parse(_ json: JSONValue) throws(TokenizerError) -> [TokenDecoderStep] {
        if json.isNull { return [] }
        guard let type = json["type"]?.stringValue else { throw .invalidFile("a decoder without a type") }
        switch type {
        case "Sequence":
            guard let items = json["decoders"]?.arrayValue else { throw .invalidFile("a decoder Sequence without 'decoders'") }
            var steps: [TokenDecoderStep] = []
            for item in items { steps += try parse(item) }
            return steps
        case "ByteLevel": return [.byteLevel]
        case "Metaspace":
            guard let replacement = json["replacement"]?.stringValue, replacement.unicodeScalars.count == 1 else {
                throw .invalidFile("Metaspace needs a one-character 'replacement'")
            }
            var scheme = PreTokenizerStep.PrependScheme.always
            if let name = json["prepend_scheme"]?.stringValue {
                guard let parsed = PreTokenizerStep.PrependScheme(rawValue: name) else {
                    throw .unsupported(component: "Metaspace prepend_scheme", type: name)
                }
                scheme = parsed
            }
            if json["add_prefix_space"] == .bool(false) { scheme = .never }
            return [.metaspace(replacement: replacement.unicodeScalars.first!.value, prependScheme: scheme)]
        case "Replace":
            guard let pattern = json["pattern"], let content = json["content"]?.stringValue else {
                throw .invalidFile("Replace without 'pattern' and 'content'")
            }
            return [.replace(try TextPattern.parse(pattern), content: Array(content.utf8))]
        case "ByteFallback": return [.byteFallback]
        case "Fuse": return [.fuse]
        case "Strip":
            guard let content = json["content"]?.stringValue, content.unicodeScalars.count == 1,
                  let start = json["start"]?.intValue, let stop = json["stop"]?.intValue, start >= 0, stop >= 0 else {
                throw .invalidFile("Strip needs 'content' (one character), 'start' and 'stop'")
            }
            return [.strip(content: content.unicodeScalars.first!.value, start: start, stop: stop)]
        default:
            throw .unsupported(component: "decoder", type: type)
        }
    }

    func apply(_ tokens: TokenTexts, scratch: inout RegexScratch) -> TokenTexts {
        var output = TokenTexts()
        output.bytes.reserveCapacity(tokens.bytes.count)
        switch self {
        case .byteLevel:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(tokens.bytes.count)
            for index in 0..<tokens.count {
                let token = tokens[index]
                if let raw = ByteLevelAlphabet.bytes(ofMapped: Array(token)) { bytes += raw } else { bytes += token }
            }
            output.append(UTF8Bytes.repaired(bytes))
        case .metaspace(let replacement, let scheme):
            tokens.bytes.withUnsafeBufferPointer { buffer in
                for index in 0..<tokens.count {
                    var position = tokens.start(index)
                    let end = tokens.end(index)
                    while position < end {
                        let (scalar, length) = UTF8Bytes.scalar(in: buffer, at: position)
                        if scalar == replacement {
                            if !(index == 0 && scheme != .never) { output.bytes.append(0x20) }
                        } else {
                            output.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[position..<(position + length)]))
                        }
                        position += length
                    }
                    output.endToken()
                }
            }
        case .replace(let pattern, let content):
            tokens.bytes.withUnsafeBufferPointer { buffer in
                for index in 0..<tokens.count {
                    let start = tokens.start(index)
                    var last = start
                    pattern.forEachMatch(in: UnsafeBufferPointer(rebasing: buffer[start..<tokens.end(index)]), scratch: &scratch) { matchStart, matchEnd in
                        output.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[last..<(start + matchStart)]))
                        output.bytes.append(contentsOf: content)
                        last = start + matchEnd
                    }
                    output.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[last..<tokens.end(index)]))
                    output.endToken()
                }
            }
        case .byteFallback:
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if UTF8Bytes.isValid(pending) {
                    output.append(pending)
                } else {
                    for _ in pending { output.append(UTF8Bytes.replacementCharacter) }
                }
                pending.removeAll(keepingCapacity: true)
            }
            for index in 0..<tokens.count {
                let token = tokens[index]
                if let byte = Self.fallbackByte(token) {
                    pending.append(byte)
                } else {
                    flush()
                    output.append(token)
                }
            }
            flush()
        case .fuse:
            output.bytes = tokens.bytes
            if tokens.count > 0 { output.endToken() }
        case .strip(let content, let start, let stop):
            tokens.bytes.withUnsafeBufferPointer { buffer in
                for index in 0..<tokens.count {
                    // Scalars of the token, as (offset, value).
                    var scalars: [(offset: Int, value: UInt32)] = []
                    var position = tokens.start(index)
                    while position < tokens.end(index) {
                        let (scalar, length) = UTF8Bytes.scalar(in: buffer, at: position)
                        scalars.append((position, scalar))
                        position += length
                    }
                    var startCut = 0
                    for offset in 0..<min(start, scalars.count) {
                        guard scalars[offset].value == content else { break }
                        startCut = offset + 1
                    }
                    var stopCut = scalars.count
                    for offset in 0..<min(stop, scalars.count) {
                        let cut = scalars.count - offset - 1
                        guard scalars[cut].value == content else { break }
                        stopCut = cut
                    }
                    if startCut < stopCut {
                        let from = scalars[startCut].offset
                        let to = stopCut < scalars.count ? scalars[stopCut].offset : tokens.end(index)
                        output.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[from..<to]))
                    }
                    output.endToken()
                }
            }
        }
        return output
    }

    /// The byte of a `<0xXX>` token (six bytes; the two in the middle hex, as Rust's
    /// `u8::from_str_radix` reads them, so a leading '+' is accepted too).
    static func fallbackByte(_ token: ArraySlice<UInt8>) -> UInt8? {
        guard token.count == 6 else { return nil }
        let first = token.startIndex
        guard token[first] == 0x3C, token[first + 1] == 0x30, token[first + 2] == 0x78, token[first + 5] == 0x3E else { return nil }
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x37
            case 0x61...0x66: byte - 0x57
            default: nil
            }
        }
        if token[first + 3] == 0x2B { return hex(token[first + 4]) }
        guard let high = hex(token[first + 3]), let low = hex(token[first + 4]) else { return nil }
        return high << 4 | low
    }
}

/// A list of token texts in one buffer (`bytes`, token i ending at `ends[i]`): the decoders'
/// working list, without an array per token.
struct TokenTexts {
    var bytes: [UInt8] = []
    var ends: [Int] = []

    var count: Int { ends.count }
    func start(_ index: Int) -> Int { index == 0 ? 0 : ends[index - 1] }
    func end(_ index: Int) -> Int { ends[index] }
    subscript(index: Int) -> ArraySlice<UInt8> { bytes[start(index)..<end(index)] }

    mutating func append(_ token: some Collection<UInt8>) {
        bytes.append(contentsOf: token)
        ends.append(bytes.count)
    }

    /// Ends the token made of the bytes appended since the last one.
    mutating func endToken() { ends.append(bytes.count) }
}
