import Glibc
import Loadgen

// bench/tokenizer-speed: loadgen's tokenizer on one thread, for bench/tokenizer.sh.
//
//   tokenizer-speed encode TOKENIZER TEXT_FILE [CHUNK_BYTES] [PASSES]
//       Splits the file at line ends into chunks of about CHUNK_BYTES (default 8,192: a prompt),
//       encodes every chunk once to warm up, then PASSES times (default 3) timed; prints
//       "bytes=B tokens=T seconds=S MB/s=M" for the fastest pass.
//   tokenizer-speed prompts TOKENIZER COUNT TOKENS [SEED]
//       Builds COUNT prompts of exactly TOKENS tokens; prints the seconds taken and checks each.
//
// usage: swift run -c release tokenizer-speed encode /tmp/tinyllama text.txt

func fail(_ message: String) -> Never {
    var line = message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func seconds(since start: UInt64) -> Double { Double(Clock.monotonicNanoseconds() - start) / 1e9 }

let arguments = CommandLine.arguments
guard arguments.count >= 4 else { fail("usage: tokenizer-speed encode TOKENIZER FILE [CHUNK_BYTES] [PASSES] | prompts TOKENIZER COUNT TOKENS [SEED]") }
let tokenizer: Tokenizer
do { tokenizer = try Tokenizer(path: arguments[2]) } catch { fail("\(error)") }

switch arguments[1] {
case "encode":
    guard let bytes = TextFile.readBytes(arguments[3]) else { fail("cannot read \(arguments[3])") }
    let chunkBytes = arguments.count > 4 ? Int(arguments[4]) ?? 8192 : 8192
    let passes = arguments.count > 5 ? Int(arguments[5]) ?? 3 : 3
    let chunks = TextChunks.split(String(decoding: bytes, as: UTF8.self), approximateBytes: chunkBytes)
    var encoder = TokenEncoder(tokenizer)
    var tokens = 0
    for chunk in chunks { tokens += encoder.count(chunk) }
    var best = Double.infinity
    for _ in 0..<passes {
        let start = Clock.monotonicNanoseconds()
        var count = 0
        for chunk in chunks { count += encoder.count(chunk) }
        best = min(best, seconds(since: start))
        precondition(count == tokens)
    }
    let total = chunks.reduce(0) { $0 + $1.utf8.count }
    print("bytes=\(total) chunks=\(chunks.count) tokens=\(tokens) seconds=\(best) MB/s=\(Double(total) / best / 1e6)")
case "prompts":
    guard arguments.count >= 5, let count = Int(arguments[3]), let tokens = Int(arguments[4]) else { fail("prompts needs COUNT and TOKENS") }
    let seed = arguments.count > 5 ? UInt64(arguments[5]) ?? 1 : 1
    let start = Clock.monotonicNanoseconds()
    let prompts: [ExactTokenPrompt]
    do {
        prompts = try ExactTokenPrompts.build(count: count, tokens: tokens, tokenizer: tokenizer, seed: seed)
    } catch { fail("\(error)") }
    let elapsed = seconds(since: start)
    var encoder = TokenEncoder(tokenizer)
    var exact = 0
    for prompt in prompts where encoder.count(prompt.text) == tokens { exact += 1 }
    print("prompts=\(count) tokens=\(tokens) seconds=\(elapsed) exact=\(exact)")
default:
    fail("unknown mode \(arguments[1])")
}

/// Text cut at line ends into pieces of about `approximateBytes`.
enum TextChunks {
    static func split(_ text: String, approximateBytes: Int) -> [String] {
        var chunks: [String] = []
        var current: [UInt8] = []
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            current += line
            current.append(UInt8(ascii: "\n"))
            if current.count >= approximateBytes {
                chunks.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            }
        }
        if !current.isEmpty { chunks.append(String(decoding: current, as: UTF8.self)) }
        return chunks
    }
}
