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
        /// Try `a`; on failure, `b`.
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
        var c: Int32 = 0
    }

    let pattern: String
    private let program: [Instruction]
    private let classes: [ScalarClass]

    init(_ pattern: String) throws(TokenizerError) {
        self.pattern = pattern
        let tree = try TokenizerRegexParser.parse(pattern)
        var compiler = Compiler(pattern: pattern)
        try compiler.emit(tree)
        compiler.program.append(Instruction(opcode: .match))
        program = compiler.program
        classes = compiler.classes
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
    }

    /// Calls `body(start, end)` for each match in `scalars`, as scalar indices, left to right:
    /// the search resumes where the last match ended, and an empty match right where the last one
    /// ended is skipped (the `onig` crate's `find_iter`).
    func forEachMatch(in scalars: UnsafeBufferPointer<UInt32>, scratch: inout [BacktrackEntry], _ body: (Int, Int) -> Void) {
        var searchFrom = 0
        var lastMatchEnd = -1
        while searchFrom <= scalars.count {
            var found: (start: Int, end: Int)?
            for start in searchFrom...scalars.count {
                if let end = run(at: 0, position: start, in: scalars, stack: &scratch) {
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
            classes.withUnsafeBufferPointer { classes in
                while true {
                    var failed = false
                    let instruction = program[pc]
                    switch instruction.opcode {
                    case .scalar:
                        if position < count, classes[Int(instruction.a)].contains(scalars[position]) {
                            position += 1
                            pc += 1
                        } else {
                            failed = true
                        }
                    case .classRun:
                        let set = classes[Int(instruction.a)]
                        let limit = instruction.c < 0 ? count : min(count, position + Int(instruction.c))
                        var end = position
                        while end < limit, set.contains(scalars[end]) { end += 1 }
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
                        program.append(Instruction(opcode: .split))
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
                        program.append(Instruction(opcode: .split))
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
                    program.append(Instruction(opcode: .split))
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
