/// The `post_processor` of a tokenizer file, for one sequence: the special tokens it adds around
/// the text's ids when encoding with special tokens (Llama's BOS, RoBERTa's `<s>` ... `</s>`).
/// Offsets and type ids, which loadgen does not use, are not kept.
enum TokenizerPostProcessor: Sendable {
    /// Template pieces: special-token ids, or nil for the sequence itself.
    case template([[UInt32]?])
    /// Adds nothing (ByteLevel only trims offsets).
    case none
    case sequence([TokenizerPostProcessor])

    static func parse(_ json: JSONValue) throws(TokenizerError) -> TokenizerPostProcessor {
        if json.isNull { return .none }
        guard let type = json["type"]?.stringValue else { throw .invalidFile("a post_processor without a type") }
        switch type {
        case "ByteLevel": return .none
        case "TemplateProcessing":
            guard let single = json["single"]?.arrayValue, let specials = json["special_tokens"] else {
                throw .invalidFile("TemplateProcessing without 'single' and 'special_tokens'")
            }
            var pieces: [[UInt32]?] = []
            for piece in single {
                if let special = piece["SpecialToken"] {
                    guard let name = special["id"]?.stringValue, let ids = specials[name]?["ids"]?.arrayValue else {
                        throw .invalidFile("TemplateProcessing names a special token it does not define")
                    }
                    pieces.append(try ids.map { value throws(TokenizerError) in
                        guard let id = value.intValue, id >= 0, id <= Int(UInt32.max) else { throw .invalidFile("a special token id that is not an id") }
                        return UInt32(id)
                    })
                } else if piece["Sequence"] != nil {
                    pieces.append(nil)
                } else {
                    throw .invalidFile("a TemplateProcessing piece that is neither SpecialToken nor Sequence")
                }
            }
            return .template(pieces)
        case "RobertaProcessing", "BertProcessing":
            guard let cls = json["cls"]?.arrayValue, cls.count == 2, let clsID = cls[1].intValue,
                  let sep = json["sep"]?.arrayValue, sep.count == 2, let sepID = sep[1].intValue, clsID >= 0, sepID >= 0 else {
                throw .invalidFile("\(type) without 'cls' and 'sep'")
            }
            return .template([[UInt32(clsID)], nil, [UInt32(sepID)]])
        case "Sequence":
            guard let items = json["processors"]?.arrayValue else { throw .invalidFile("a post_processor Sequence without 'processors'") }
            var processors: [TokenizerPostProcessor] = []
            for item in items { processors.append(try parse(item)) }
            return .sequence(processors)
        default:
            throw .unsupported(component: "post_processor", type: type)
        }
    }

    func apply(_ ids: [UInt32]) -> [UInt32] {
        switch self {
        case .none: return ids
        case .template(let pieces):
            var output: [UInt32] = []
            output.reserveCapacity(ids.count + 4)
            for piece in pieces { output += piece ?? ids }
            return output
        case .sequence(let processors):
            return processors.reduce(ids) { $1.apply($0) }
        }
    }

    /// How many ids `apply` adds to one sequence (transformers' `num_special_tokens_to_add`).
    var addedCount: Int { apply([]).count }
}
