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

    func apply(_ tokens: [[UInt8]], scratch: inout [BacktrackScratch]) -> [[UInt8]] {
        switch self {
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens {
                if let raw = ByteLevelAlphabet.bytes(ofMapped: token) { bytes += raw } else { bytes += token }
            }
            return [UTF8Bytes.repaired(bytes)]
        case .metaspace(let replacement, let scheme):
            return tokens.enumerated().map { index, token in
                var output: [UInt8] = []
                output.reserveCapacity(token.count)
                for scalar in UTF8Bytes.scalars(of: token) {
                    if scalar == replacement {
                        if index == 0 && scheme != .never { continue }
                        output.append(0x20)
                    } else {
                        UTF8Bytes.append(scalar, to: &output)
                    }
                }
                return output
            }
        case .replace(let pattern, let content):
            return tokens.map { token in
                var output: [UInt8] = []
                var last = 0
                pattern.forEachMatch(in: token, scratch: &scratch) { start, end in
                    output += token[last..<start]
                    output += content
                    last = end
                }
                output += token[last...]
                return output
            }
        case .byteFallback:
            var output: [[UInt8]] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if UTF8Bytes.isValid(pending) {
                    output.append(pending)
                } else {
                    for _ in pending { output.append(UTF8Bytes.replacementCharacter) }
                }
                pending.removeAll()
            }
            for token in tokens {
                if let byte = Self.fallbackByte(token) {
                    pending.append(byte)
                } else {
                    flush()
                    output.append(token)
                }
            }
            flush()
            return output
        case .fuse:
            return [tokens.reduce(into: []) { $0 += $1 }]
        case .strip(let content, let start, let stop):
            return tokens.map { token in
                let scalars = UTF8Bytes.scalars(of: token)
                var startCut = 0
                for index in 0..<min(start, scalars.count) {
                    guard scalars[index] == content else { break }
                    startCut = index + 1
                }
                var stopCut = scalars.count
                for offset in 0..<min(stop, scalars.count) {
                    let index = scalars.count - offset - 1
                    guard scalars[index] == content else { break }
                    stopCut = index
                }
                var output: [UInt8] = []
                if startCut < stopCut {
                    for scalar in scalars[startCut..<stopCut] { UTF8Bytes.append(scalar, to: &output) }
                }
                return output
            }
        }
    }

    /// The byte of a `<0xXX>` token (six bytes; the two in the middle hex, as Rust's
    /// `u8::from_str_radix` reads them, so a leading '+' is accepted too).
    static func fallbackByte(_ token: [UInt8]) -> UInt8? {
        guard token.count == 6, token[0] == 0x3C, token[1] == 0x30, token[2] == 0x78, token[5] == 0x3E else { return nil }
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x37
            case 0x61...0x66: byte - 0x57
            default: nil
            }
        }
        if token[3] == 0x2B { return hex(token[4]) }
        guard let high = hex(token[3]), let low = hex(token[4]) else { return nil }
        return high << 4 | low
    }
}
