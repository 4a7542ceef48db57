/// Parses the Oniguruma (Ruby syntax) subset that tokenizer files' `Split` and `Replace`
/// patterns use into a tree: literals and classes (`[...]`, `\s \S \d \D \w \W \h \H`,
/// `\p{..} \P{..} \p{^..}` for general categories and the Han, Hiragana, Katakana, Hangul scripts, `.`),
/// groups `( )`, `(?: )`, `(?i: )`, `(?-i: )`, `(?i)`, lookahead `(?= )` `(?! )`, atomic `(?> )`,
/// alternation, greedy, lazy and possessive quantifiers (`* + ? {n} {n,} {n,m} {,m}`), and the
/// anchors `^ $ \A \z \Z`. Anything else is refused with the construct named, rather than
/// matched differently from `tokenizers`.
struct TokenizerRegexParser {
    indirect enum Node: Equatable {
        case scalarClass(ScalarClass)
        case sequence([Node])
        case alternation([Node])
        case repetition(Node, minimum: Int, maximum: Int?, greedy: Bool, possessive: Bool)
        case lookahead(Node, negative: Bool)
        case atomic(Node)
        case anchor(Anchor)
    }

    enum Anchor: Int32, Equatable {
        case lineStart, lineEnd, textStart, textEnd, textEndBeforeNewline
    }

    private let pattern: String
    private let scalars: [UInt32]
    private var position = 0

    static func parse(_ pattern: String) throws(TokenizerError) -> Node {
        var parser = TokenizerRegexParser(pattern: pattern)
        let node = try parser.alternation(ignoreCase: false)
        guard parser.position == parser.scalars.count else { throw parser.failure("unbalanced ')'") }
        return node
    }

    private init(pattern: String) {
        self.pattern = pattern
        self.scalars = pattern.unicodeScalars.map(\.value)
    }

    private func failure(_ reason: String) -> TokenizerError {
        .unsupportedPattern(pattern: pattern, reason: reason + " at character \(position)")
    }

    private var current: UInt32? { position < scalars.count ? scalars[position] : nil }

    private func isCurrent(_ character: Unicode.Scalar) -> Bool { current == character.value }

    /// Pattern characters come from a String, so they are scalars.
    private static func scalar(_ value: UInt32) -> Unicode.Scalar { Unicode.Scalar(value) ?? "\u{FFFD}" }

    private mutating func alternation(ignoreCase: Bool) throws(TokenizerError) -> Node {
        var branches: [Node] = []
        var ignoreCase = ignoreCase
        branches.append(try sequence(ignoreCase: &ignoreCase))
        while isCurrent("|") {
            position += 1
            branches.append(try sequence(ignoreCase: &ignoreCase))
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    /// `ignoreCase` is inout: an `(?i)` inside a group turns it on for the rest of the group.
    private mutating func sequence(ignoreCase: inout Bool) throws(TokenizerError) -> Node {
        var items: [Node] = []
        while let character = current, character != UInt32(UInt8(ascii: "|")), character != UInt32(UInt8(ascii: ")")) {
            if character == UInt32(UInt8(ascii: "(")), let flags = inlineFlagsAhead() {
                position += flags.length
                ignoreCase = flags.ignoreCase
                continue
            }
            let atom = try self.atom(ignoreCase: ignoreCase)
            items.append(try quantified(atom))
        }
        return items.count == 1 ? items[0] : .sequence(items)
    }

    /// `(?i)` or `(?-i)`: the length of the construct and the new setting.
    private func inlineFlagsAhead() -> (length: Int, ignoreCase: Bool)? {
        let rest = scalars[position...].prefix(5).map { Character(Unicode.Scalar($0) ?? "?") }
        if rest.starts(with: Array("(?i)")) { return (4, true) }
        if rest.starts(with: Array("(?-i)")) { return (5, false) }
        return nil
    }

    private mutating func quantified(_ atom: Node) throws(TokenizerError) -> Node {
        var node = atom
        while let character = current {
            var minimum = 0
            var maximum: Int?
            switch Self.scalar(character) {
            case "*": position += 1
            case "+": position += 1; minimum = 1
            case "?": position += 1; maximum = 1
            case "{":
                guard let bounds = braceQuantifierAhead() else { return node }
                position += bounds.length
                minimum = bounds.minimum
                maximum = bounds.maximum
            default: return node
            }
            if case .anchor = node { throw failure("a quantifier after an anchor") }
            if case .lookahead = node { throw failure("a quantifier after a lookahead") }
            var greedy = true
            var possessive = false
            if isCurrent("?") {
                greedy = false
                position += 1
            } else if isCurrent("+") {
                possessive = true
                position += 1
            }
            if let maximum, maximum < minimum { throw failure("a quantifier with its maximum below its minimum") }
            if minimum > 1000 || (maximum ?? 0) > 1000 { throw failure("a repetition count above 1000") }
            node = .repetition(node, minimum: minimum, maximum: maximum, greedy: greedy, possessive: possessive)
        }
        return node
    }

    /// `{n}`, `{n,}`, `{n,m}`, `{,m}`; anything else after `{` is a literal brace in Ruby syntax.
    private func braceQuantifierAhead() -> (length: Int, minimum: Int, maximum: Int?)? {
        var index = position + 1
        func number() -> Int? {
            var value: Int?
            while index < scalars.count, (48...57).contains(scalars[index]) {
                value = (value ?? 0) * 10 + Int(scalars[index] - 48)
                if value! > 100_000 { return nil }
                index += 1
            }
            return value
        }
        let minimum = number()
        var maximum = minimum
        if index < scalars.count, scalars[index] == UInt32(UInt8(ascii: ",")) {
            index += 1
            maximum = number()
            if minimum == nil && maximum == nil { return nil }
        } else if minimum == nil {
            return nil
        }
        guard index < scalars.count, scalars[index] == UInt32(UInt8(ascii: "}")) else { return nil }
        return (index + 1 - position, minimum ?? 0, maximum)
    }

    private mutating func atom(ignoreCase: Bool) throws(TokenizerError) -> Node {
        guard let character = current else { throw failure("unexpected end") }
        switch Self.scalar(character) {
        case "(":
            return try group(ignoreCase: ignoreCase)
        case "[":
            position += 1
            var set = try characterClass(ignoreCase: ignoreCase)
            set.finish()
            return .scalarClass(set)
        case ".":
            position += 1
            return .scalarClass(ScalarClass(ranges: [0x0A...0x0A], negated: true))
        case "^":
            position += 1
            return .anchor(.lineStart)
        case "$":
            position += 1
            return .anchor(.lineEnd)
        case "*", "+", "?":
            throw failure("a quantifier with nothing to repeat")
        case "\\":
            position += 1
            guard let escaped = current else { throw failure("a pattern ending in '\\'") }
            switch Self.scalar(escaped) {
            case "A": position += 1; return .anchor(.textStart)
            case "z": position += 1; return .anchor(.textEnd)
            case "Z": position += 1; return .anchor(.textEndBeforeNewline)
            case "b", "B", "G", "K", "R", "X", "k", "g", "y", "Y":
                throw failure("the escape '\\\(Character(Self.scalar(escaped)))'")
            case "1"..."9":
                throw failure("a back reference")
            default:
                break
            }
            var item = try escapeItem(inClass: false)
            if ignoreCase {
                guard item.properties == 0, item.excludedProperties.isEmpty else { throw failure("a property class under (?i)") }
                item.addCaseVariants()
            }
            return .scalarClass(item)
        default:
            position += 1
            var item = ScalarClass.scalar(character)
            if ignoreCase { item.addCaseVariants() }
            return .scalarClass(item)
        }
    }

    private mutating func group(ignoreCase: Bool) throws(TokenizerError) -> Node {
        position += 1
        var inner = ignoreCase
        var kind = "group"
        if isCurrent("?") {
            position += 1
            guard let marker = current else { throw failure("unexpected end in a group") }
            position += 1
            switch Self.scalar(marker) {
            case ":": break
            case "=": kind = "lookahead"
            case "!": kind = "negative lookahead"
            case ">": kind = "atomic"
            case "i", "-":
                // (?i:...) or (?-i:...)
                let on = Self.scalar(marker) == "i"
                if !on {
                    guard isCurrent("i") else { throw failure("group options other than i") }
                    position += 1
                }
                guard isCurrent(":") else { throw failure("group options other than (?i:...) and (?i)") }
                position += 1
                inner = on
            case "<":
                throw isCurrent("=") || isCurrent("!") ? failure("a lookbehind") : failure("a named group")
            default:
                throw failure("the group '(?\(Character(Self.scalar(marker)))'")
            }
        }
        let body = try alternation(ignoreCase: inner)
        guard isCurrent(")") else { throw failure("an unclosed group") }
        position += 1
        switch kind {
        case "lookahead": return .lookahead(body, negative: false)
        case "negative lookahead": return .lookahead(body, negative: true)
        case "atomic": return .atomic(body)
        default: return body
        }
    }

    /// After `[`: items up to the closing `]`.
    private mutating func characterClass(ignoreCase: Bool) throws(TokenizerError) -> ScalarClass {
        var set = ScalarClass()
        if isCurrent("^") {
            set.negated = true
            position += 1
        }
        var first = true
        while true {
            guard let character = current else { throw failure("an unclosed '['") }
            if character == UInt32(UInt8(ascii: "]")) && !first {
                position += 1
                break
            }
            first = false
            if character == UInt32(UInt8(ascii: "[")) { throw failure("a nested class or POSIX bracket") }
            if character == UInt32(UInt8(ascii: "&")), position + 1 < scalars.count, scalars[position + 1] == character {
                throw failure("a class intersection")
            }
            let low = try classItem()
            // A range: `a-z`, unless '-' ends the class.
            if isCurrent("-"), position + 1 < scalars.count, scalars[position + 1] != UInt32(UInt8(ascii: "]")) {
                position += 1
                let high = try classItem()
                guard let lowScalar = low.single, let highScalar = high.single else { throw failure("a range with a class as an end") }
                guard lowScalar <= highScalar else { throw failure("a range out of order") }
                set.ranges.append(lowScalar...highScalar)
                continue
            }
            set.ranges += low.ranges
            set.properties |= low.properties
            set.excludedProperties += low.excludedProperties
            if low.negated { throw failure("a negated item inside a class") }
        }
        if ignoreCase {
            guard set.properties == 0, set.excludedProperties.isEmpty else { throw failure("a property class under (?i)") }
            set.addCaseVariants()
        }
        return set
    }

    /// One item of a class: a scalar (with `single` set) or an escape class.
    private mutating func classItem() throws(TokenizerError) -> ScalarClass {
        guard let character = current else { throw failure("an unclosed '['") }
        if character == UInt32(UInt8(ascii: "\\")) {
            position += 1
            return try escapeItem(inClass: true)
        }
        position += 1
        return .scalar(character)
    }

    /// After `\`: a class escape, a control or hex escape, or an escaped literal.
    private mutating func escapeItem(inClass: Bool) throws(TokenizerError) -> ScalarClass {
        guard let character = current else { throw failure("a pattern ending in '\\'") }
        position += 1
        let table = UnicodeProperties.self
        switch Self.scalar(character) {
        case "s": return ScalarClass(properties: table.whiteSpace)
        case "S": return ScalarClass(excludedProperties: [table.whiteSpace])
        case "d": return ScalarClass(properties: table.category(.Nd))
        case "D": return ScalarClass(excludedProperties: [table.category(.Nd)])
        case "w": return ScalarClass(properties: table.word)
        case "W": return ScalarClass(excludedProperties: [table.word])
        case "h": return ScalarClass(ranges: [0x30...0x39, 0x41...0x46, 0x61...0x66])
        case "H": throw failure("the escape '\\H'")
        case "p", "P":
            let (mask, negated) = try propertyName()
            let complement = negated != (Self.scalar(character) == "P")
            return complement ? ScalarClass(excludedProperties: [mask]) : ScalarClass(properties: mask)
        case "n": return .scalar(0x0A)
        case "r": return .scalar(0x0D)
        case "t": return .scalar(0x09)
        case "f": return .scalar(0x0C)
        case "v": return .scalar(0x0B)
        case "a": return .scalar(0x07)
        case "e": return .scalar(0x1B)
        case "x":
            if isCurrent("{") {
                position += 1
                let value = hexDigits(maximum: 8)
                guard let value, isCurrent("}") else { throw failure("an invalid \\x{...} escape") }
                position += 1
                return try scalarItem(value)
            }
            guard let value = hexDigits(maximum: 2) else { throw failure("an invalid \\x escape") }
            return try scalarItem(value)
        case "u":
            guard let value = hexDigits(exactly: 4) else { throw failure("an invalid \\u escape") }
            return try scalarItem(value)
        case "0":
            var value: UInt32 = 0
            var digits = 0
            while digits < 2, let next = current, (48...55).contains(next) {
                value = value * 8 + (next - 48)
                position += 1
                digits += 1
            }
            return .scalar(value)
        default:
            if (48...57).contains(character) || (65...90).contains(character) || (97...122).contains(character) {
                position -= 1
                throw failure("the escape '\\\(Character(Self.scalar(character)))'")
            }
            return .scalar(character)
        }
    }

    private func scalarItem(_ value: UInt32) throws(TokenizerError) -> ScalarClass {
        guard Unicode.Scalar(value) != nil else { throw failure("an escape that is not a scalar") }
        return .scalar(value)
    }

    private mutating func hexDigits(maximum: Int = 8, exactly: Int? = nil) -> UInt32? {
        var value: UInt32 = 0
        var count = 0
        let limit = exactly ?? maximum
        while count < limit, let next = current, let digit = Self.hexValue(next) {
            value = value << 4 | digit
            position += 1
            count += 1
        }
        if count == 0 || (exactly != nil && count != exactly) { return nil }
        return value
    }

    private static func hexValue(_ scalar: UInt32) -> UInt32? {
        switch scalar {
        case 48...57: scalar - 48
        case 65...70: scalar - 55
        case 97...102: scalar - 87
        default: nil
        }
    }

    /// `{Name}` or `{^Name}` after `\p`: the property mask and whether `^` negated it.
    private mutating func propertyName() throws(TokenizerError) -> (UnicodeProperties.Mask, Bool) {
        guard isCurrent("{") else { throw failure("\\p without {name}") }
        position += 1
        var negated = false
        if isCurrent("^") {
            negated = true
            position += 1
        }
        var name = ""
        while let character = current, character != UInt32(UInt8(ascii: "}")) {
            // Oniguruma ignores case, spaces, '_' and '-' in property names.
            if let scalar = Unicode.Scalar(character), scalar != " ", scalar != "_", scalar != "-" {
                name.unicodeScalars.append(scalar)
            }
            position += 1
        }
        guard isCurrent("}") else { throw failure("an unclosed \\p{") }
        position += 1
        guard let mask = Self.properties[name.lowercased()] else { throw failure("the property '\(name)'") }
        return (mask, negated)
    }

    private static let properties: [String: UnicodeProperties.Mask] = {
        typealias P = UnicodeProperties
        var names: [String: UnicodeProperties.Mask] = [
            "l": P.letter, "letter": P.letter, "m": P.mark, "mark": P.mark, "combiningmark": P.mark,
            "n": P.number, "number": P.number, "p": P.punctuation, "punctuation": P.punctuation,
            "s": P.symbol, "symbol": P.symbol, "z": P.separator, "separator": P.separator,
            "c": P.other, "other": P.other, "lc": P.categories(.Lu, .Ll, .Lt), "casedletter": P.categories(.Lu, .Ll, .Lt),
            "han": P.han, "hani": P.han, "hiragana": P.hiragana, "hira": P.hiragana,
            "katakana": P.katakana, "kana": P.katakana, "hangul": P.hangul, "hang": P.hangul,
            "space": P.whiteSpace, "whitespace": P.whiteSpace, "word": P.word,
        ]
        let long: [GeneralCategory: String] = [
            .Lu: "uppercaseletter", .Ll: "lowercaseletter", .Lt: "titlecaseletter", .Lm: "modifierletter",
            .Lo: "otherletter", .Mn: "nonspacingmark", .Mc: "spacingmark", .Me: "enclosingmark",
            .Nd: "decimalnumber", .Nl: "letternumber", .No: "othernumber", .Pc: "connectorpunctuation",
            .Pd: "dashpunctuation", .Ps: "openpunctuation", .Pe: "closepunctuation", .Pi: "initialpunctuation",
            .Pf: "finalpunctuation", .Po: "otherpunctuation", .Sm: "mathsymbol", .Sc: "currencysymbol",
            .Sk: "modifiersymbol", .So: "othersymbol", .Zs: "spaceseparator", .Zl: "lineseparator",
            .Zp: "paragraphseparator", .Cc: "control", .Cf: "format", .Cs: "surrogate", .Co: "privateuse",
            .Cn: "unassigned",
        ]
        for category in GeneralCategory.allCases {
            names["\(category)".lowercased()] = P.category(category)
            if let name = long[category] { names[name] = P.category(category) }
        }
        return names
    }()
}

extension ScalarClass {
    /// The scalar when this is a one-scalar class (a range end).
    fileprivate var single: UInt32? {
        guard properties == 0, excludedProperties.isEmpty, !negated, ranges.count == 1, ranges[0].count == 1 else { return nil }
        return ranges[0].lowerBound
    }
}
