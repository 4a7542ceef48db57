/// A split or replace pattern from a tokenizer file, compiled for a backtracking machine that
/// matches as Oniguruma does (the engine inside Hugging Face `tokenizers`): leftmost match,
/// alternatives tried in order, greedy quantifiers giving back one scalar at a time, over
/// Unicode scalars with Oniguruma's own character classes (`UnicodeProperties`).
///
/// Why not the standard library's `Regex`: it is several times slower than the tokenizers it
/// must keep up with, and its classes follow Swift's Unicode data, not Oniguruma's. The patterns
/// tokenizer files carry (GPT-2, cl100k/Llama 3, Qwen 2, DeepSeek V3, o200k) are small; this
/// machine runs them, and refuses (`TokenizerRegexParser`) whatever it could not run exactly.
///
/// A run of one class (`\p{L}+`, `\s*`, `[^\s\p{L}\p{N}]+`) is one instruction that consumes the
/// whole run and leaves one backtrack entry for all of it, so the usual pieces cost a few
/// instructions each.
struct TokenizerRegex: Sendable {
    enum Opcode: UInt8, Sendable {
        /// Consume one scalar of class `a`.
        case scalar
        /// Consume `b...c` scalars of class `a` (`c` < 0: no maximum), greedy; `flag` set: possessive.
        case classRun
        /// Try `a`; on failure, `b`. With `c` >= 0, first sets `c`: when the next scalar is ASCII
        /// and not in it (or the text has ended), `a` cannot match and `b` is taken at once.
        case split
        case jump
        /// Run the sub-program at `a`; continue if it matched (or did not, with `flag`).
        case lookahead
        /// Run the sub-program at `a` and continue from its end, never backtracking into it.
        case atomic
        /// The anchor `a` (TokenizerRegexParser.Anchor) must hold.
        case anchor
        case match
    }

    struct Instruction: Sendable {
        var opcode: Opcode
        var flag = false
        var a: Int32 = 0
        var b: Int32 = 0
        var c: Int32 = -1
    }

    let pattern: String
    private let program: [Instruction]
    private let classes: [ScalarClass]
    /// Each class's ASCII members as two 64-bit maps, apart so the machine reads them without
    /// copying a ScalarClass (and retaining its arrays) per scalar.
    private let asciiMaps: [UInt64]
    /// ASCII scalars that can begin a split's first branch, two 64-bit maps per set.
    private let firstSets: [UInt64]
    /// ASCII scalars that can begin a match of the whole pattern (nil: any, or unknown): the
    /// search skips other ASCII positions without starting the machine.
    private let startSet: (low: UInt64, high: UInt64)?

    init(_ pattern: String) throws(TokenizerError) {
        self.pattern = pattern
        let tree = try TokenizerRegexParser.parse(pattern)
        var compiler = Compiler(pattern: pattern)
        try compiler.emit(tree)
        compiler.program.append(Instruction(opcode: .match))
        program = compiler.program
        classes = compiler.classes
        asciiMaps = Self.asciiMaps(classes)
        firstSets = compiler.firstSets
        let start = compiler.firstSetIndex(tree)
        startSet = start < 0 ? nil : (compiler.firstSets[2 * Int(start)], compiler.firstSets[2 * Int(start) + 1])
    }

    private static func asciiMaps(_ classes: [ScalarClass]) -> [UInt64] {
        classes.flatMap { set in
            var low: UInt64 = 0
            var high: UInt64 = 0
            for scalar in UInt32(0)..<128 where set.contains(scalar) {
                if scalar < 64 { low |= 1 << UInt64(scalar) } else { high |= 1 << UInt64(scalar - 64) }
            }
            return [low, high]
        }
    }

    /// A pattern matching `literal` exactly (what `tokenizers` builds from a `String` pattern).
    init(literal: [UInt32]) {
        pattern = String(String.UnicodeScalarView(literal.compactMap(Unicode.Scalar.init)))
        var compiler = Compiler(pattern: pattern)
        for scalar in literal {
            compiler.program.append(Instruction(opcode: .scalar, a: compiler.classIndex(.scalar(scalar))))
        }
        compiler.program.append(Instruction(opcode: .match))
        program = compiler.program
        classes = compiler.classes
        asciiMaps = Self.asciiMaps(classes)
        firstSets = []
        startSet = nil
    }

    /// Calls `body(start, end)` for each match in `scalars`, as scalar indices, left to right:
    /// the search resumes where the last match ended, and an empty match right where the last one
    /// ended is skipped (the `onig` crate's `find_iter`).
    func forEachMatch(in scalars: UnsafeBufferPointer<UInt32>, stack: inout [BacktrackEntry], _ body: (Int, Int) -> Void) {
        var searchFrom = 0
        var lastMatchEnd = -1
        while searchFrom <= scalars.count {
            var found: (start: Int, end: Int)?
            for start in searchFrom...scalars.count {
                if let (low, high) = startSet {
                    if start == scalars.count { break }
                    let scalar = scalars[start]
                    if scalar < 64, low & (1 << UInt64(scalar)) == 0 { continue }
                    if scalar >= 64, scalar < 128, high & (1 << UInt64(scalar - 64)) == 0 { continue }
                }
                if let end = run(at: 0, position: start, in: scalars, stack: &stack) {
                    found = (start, end)
                    break
                }
            }
            guard let found else { return }
            if found.start == found.end {
                searchFrom = found.end + 1
                if found.end == lastMatchEnd { continue }
            } else {
                searchFrom = found.end
            }
            lastMatchEnd = found.end
            body(found.start, found.end)
        }
    }

    struct BacktrackEntry: Sendable {
        var instruction: Int32
        var position: Int32
        /// For a class run: the lowest position to give back to; -1 for an ordinary entry.
        var lowest: Int32
    }

    /// The end of the match of the program from `pc` at `position`, or nil.
    private func run(at pc: Int, position: Int, in scalars: UnsafeBufferPointer<UInt32>, stack: inout [BacktrackEntry]) -> Int? {
        let base = stack.count
        var pc = pc
        var position = position
        let count = scalars.count
        return program.withUnsafeBufferPointer { program in
            asciiMaps.withUnsafeBufferPointer { maps in
              firstSets.withUnsafeBufferPointer { firstSets in
                @inline(__always) func member(_ set: Int, _ scalar: UInt32) -> Bool {
                    if scalar < 64 { return maps[2 * set] & (1 << UInt64(scalar)) != 0 }
                    if scalar < 128 { return maps[2 * set + 1] & (1 << UInt64(scalar - 64)) != 0 }
                    return classes.withUnsafeBufferPointer { $0[set].contains(scalar) }
                }
                while true {
                    var failed = false
                    let instruction = program[pc]
                    switch instruction.opcode {
                    case .scalar:
                        if position < count, member(Int(instruction.a), scalars[position]) {
                            position += 1
                            pc += 1
                        } else {
                            failed = true
                        }
                    case .classRun:
                        let set = Int(instruction.a)
                        let limit = instruction.c < 0 ? count : min(count, position + Int(instruction.c))
                        var end = position
                        while end < limit, member(set, scalars[end]) { end += 1 }
                        let minimumEnd = position + Int(instruction.b)
                        if end < minimumEnd {
                            failed = true
                        } else {
                            if !instruction.flag, end > minimumEnd {
                                stack.append(BacktrackEntry(instruction: Int32(pc + 1), position: Int32(end - 1), lowest: Int32(minimumEnd)))
                            }
                            position = end
                            pc += 1
                        }
                    case .split:
                        if instruction.c >= 0 {
                            let set = Int(instruction.c)
                            if position == count {
                                pc = Int(instruction.b)
                                continue
                            }
                            let scalar = scalars[position]
                            if scalar < 128 {
                                let map = scalar < 64 ? firstSets[2 * set] >> UInt64(scalar) : firstSets[2 * set + 1] >> UInt64(scalar - 64)
                                if map & 1 == 0 {
                                    pc = Int(instruction.b)
                                    continue
                                }
                            }
                        }
                        stack.append(BacktrackEntry(instruction: instruction.b, position: Int32(position), lowest: -1))
                        pc = Int(instruction.a)
                    case .jump:
                        pc = Int(instruction.a)
                    case .lookahead:
                        let matched = run(at: Int(instruction.a), position: position, in: scalars, stack: &stack) != nil
                        if matched != instruction.flag { pc += 1 } else { failed = true }
                    case .atomic:
                        if let end = run(at: Int(instruction.a), position: position, in: scalars, stack: &stack) {
                            position = end
                            pc += 1
                        } else {
                            failed = true
                        }
                    case .anchor:
                        if Self.anchorHolds(instruction.a, at: position, in: scalars) { pc += 1 } else { failed = true }
                    case .match:
                        stack.removeSubrange(base...)
                        return position
                    }
                    if failed {
                        guard stack.count > base else { return nil }
                        let entry = stack.removeLast()
                        if entry.lowest >= 0, entry.position > entry.lowest {
                            stack.append(BacktrackEntry(instruction: entry.instruction, position: entry.position - 1, lowest: entry.lowest))
                        }
                        pc = Int(entry.instruction)
                        position = Int(entry.position)
                    }
                }
              }
            }
        }
    }

    private static func anchorHolds(_ anchor: Int32, at position: Int, in scalars: UnsafeBufferPointer<UInt32>) -> Bool {
        switch TokenizerRegexParser.Anchor(rawValue: anchor)! {
        case .lineStart: position == 0 || scalars[position - 1] == 0x0A
        case .lineEnd: position == scalars.count || scalars[position] == 0x0A
        case .textStart: position == 0
        case .textEnd: position == scalars.count
        case .textEndBeforeNewline: position == scalars.count || (position == scalars.count - 1 && scalars[position] == 0x0A)
        }
    }

    private struct Compiler {
        let pattern: String
        var program: [Instruction] = []
        var classes: [ScalarClass] = []
        var firstSets: [UInt64] = []

        /// The index of the ASCII first set of `node`, or -1 when it is unknown (lookahead,
        /// anchor) or `node` can match nothing (then no scalar rules it out).
        mutating func firstSetIndex(_ node: TokenizerRegexParser.Node) -> Int32 {
            guard let (low, high, nullable) = Self.firstSet(node), !nullable else { return -1 }
            firstSets += [low, high]
            return Int32(firstSets.count / 2 - 1)
        }

        private static func firstSet(_ node: TokenizerRegexParser.Node) -> (UInt64, UInt64, Bool)? {
            switch node {
            case .scalarClass(let set):
                var low: UInt64 = 0
                var high: UInt64 = 0
                for scalar in UInt32(0)..<128 where set.contains(scalar) {
                    if scalar < 64 { low |= 1 << UInt64(scalar) } else { high |= 1 << UInt64(scalar - 64) }
                }
                return (low, high, false)
            case .sequence(let items):
                var low: UInt64 = 0
                var high: UInt64 = 0
                for item in items {
                    guard let (itemLow, itemHigh, nullable) = firstSet(item) else { return nil }
                    low |= itemLow
                    high |= itemHigh
                    if !nullable { return (low, high, false) }
                }
                return (low, high, true)
            case .alternation(let branches):
                var low: UInt64 = 0
                var high: UInt64 = 0
                var nullable = false
                for branch in branches {
                    guard let (branchLow, branchHigh, branchNullable) = firstSet(branch) else { return nil }
                    low |= branchLow
                    high |= branchHigh
                    nullable = nullable || branchNullable
                }
                return (low, high, nullable)
            case .repetition(let body, let minimum, _, _, _):
                guard let (low, high, nullable) = firstSet(body) else { return nil }
                return (low, high, nullable || minimum == 0)
            case .atomic(let body):
                return firstSet(body)
            case .lookahead, .anchor:
                return nil
            }
        }

        mutating func classIndex(_ set: ScalarClass) -> Int32 {
            if let index = classes.firstIndex(of: set) { return Int32(index) }
            classes.append(set)
            return Int32(classes.count - 1)
        }

        mutating func emit(_ node: TokenizerRegexParser.Node) throws(TokenizerError) {
            switch node {
            case .scalarClass(let set):
                program.append(Instruction(opcode: .scalar, a: classIndex(set)))
            case .sequence(let items):
                for item in items { try emit(item) }
            case .alternation(let branches):
                var exits: [Int] = []
                for (index, branch) in branches.enumerated() {
                    if index < branches.count - 1 {
                        let split = program.count
                        program.append(Instruction(opcode: .split, c: firstSetIndex(branch)))
                        program[split].a = Int32(program.count)
                        try emit(branch)
                        exits.append(program.count)
                        program.append(Instruction(opcode: .jump))
                        program[split].b = Int32(program.count)
                    } else {
                        try emit(branch)
                    }
                }
                for exit in exits { program[exit].a = Int32(program.count) }
            case .repetition(let body, let minimum, let maximum, let greedy, let possessive):
                if case .scalarClass(let set) = body, greedy {
                    program.append(Instruction(opcode: .classRun, flag: possessive, a: classIndex(set),
                                               b: Int32(minimum), c: Int32(maximum ?? -1)))
                    return
                }
                if possessive {
                    try emit(.atomic(.repetition(body, minimum: minimum, maximum: maximum, greedy: greedy, possessive: false)))
                    return
                }
                if maximum != minimum, Self.canMatchEmpty(body) {
                    throw .unsupportedPattern(pattern: pattern, reason: "a repeated group that can match nothing")
                }
                for _ in 0..<minimum { try emit(body) }
                if let maximum {
                    var exits: [Int] = []
                    for _ in minimum..<maximum {
                        exits.append(program.count)
                        program.append(Instruction(opcode: .split, c: greedy ? firstSetIndex(body) : -1))
                        let bodyStart = Int32(program.count)
                        if greedy { program[exits.last!].a = bodyStart } else { program[exits.last!].b = bodyStart }
                        try emit(body)
                    }
                    let end = Int32(program.count)
                    for exit in exits {
                        if greedy { program[exit].b = end } else { program[exit].a = end }
                    }
                } else {
                    let loop = program.count
                    program.append(Instruction(opcode: .split, c: greedy ? firstSetIndex(body) : -1))
                    let bodyStart = Int32(program.count)
                    try emit(body)
                    program.append(Instruction(opcode: .jump, a: Int32(loop)))
                    let end = Int32(program.count)
                    if greedy {
                        program[loop].a = bodyStart
                        program[loop].b = end
                    } else {
                        program[loop].a = end
                        program[loop].b = bodyStart
                    }
                }
            case .lookahead(let body, let negative):
                try emitSubprogram(.lookahead, flag: negative, body)
            case .atomic(let body):
                try emitSubprogram(.atomic, flag: false, body)
            case .anchor(let anchor):
                program.append(Instruction(opcode: .anchor, a: anchor.rawValue))
            }
        }

        /// `op(a: body)`, `jump after`, body..., `match`, after: the sub-program runs from `a`
        /// and on success the machine continues with the jump.
        private mutating func emitSubprogram(_ opcode: Opcode, flag: Bool, _ body: TokenizerRegexParser.Node) throws(TokenizerError) {
            let head = program.count
            program.append(Instruction(opcode: opcode, flag: flag, a: Int32(head + 2)))
            program.append(Instruction(opcode: .jump))
            try emit(body)
            program.append(Instruction(opcode: .match))
            program[head + 1].a = Int32(program.count)
        }

        private static func canMatchEmpty(_ node: TokenizerRegexParser.Node) -> Bool {
            switch node {
            case .scalarClass: false
            case .sequence(let items): items.allSatisfy(canMatchEmpty)
            case .alternation(let branches): branches.contains(where: canMatchEmpty)
            case .repetition(let body, let minimum, _, _, _): minimum == 0 || canMatchEmpty(body)
            case .lookahead, .anchor: true
            case .atomic(let body): canMatchEmpty(body)
            }
        }
    }
}
