import Foundation
import PortraitApp

// `portrait-bench run-portrait ARGS…` is the benchmark re-running itself as the real CLI, so the
// push it measures is the one users run, in a process of its own whose peak memory can be read.
if CommandLine.arguments.dropFirst().first == Benchmark.childCommand {
    await PortraitCommand.run(arguments: Array(CommandLine.arguments.dropFirst(2)))
}
let benchmark = Benchmark.parseOrExit()
do {
    try await benchmark.measure()
} catch {
    Benchmark.exit(withError: error)
}
