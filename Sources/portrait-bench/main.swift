import Foundation
import PortraitApp

// `portrait-bench run-portrait ARGS…` is the benchmark re-running itself as the real CLI, so the
// push it measures is the one users run, in a process of its own whose peak memory can be read.
switch CommandLine.arguments.dropFirst().first {
case Child.portraitCommand:
    await PortraitCommand.run(arguments: Array(CommandLine.arguments.dropFirst(2)))
case "graph":
    let benchmark = GraphBenchmark.parseOrExit(Array(CommandLine.arguments.dropFirst(2)))
    do {
        try await benchmark.measure()
    } catch {
        GraphBenchmark.exit(withError: error)
    }
case "google":
    let benchmark = GoogleBenchmark.parseOrExit(Array(CommandLine.arguments.dropFirst(2)))
    do {
        try await benchmark.measure()
    } catch {
        GoogleBenchmark.exit(withError: error)
    }
case "ldap":
    let benchmark = LDAPBenchmark.parseOrExit(Array(CommandLine.arguments.dropFirst(2)))
    do {
        try await benchmark.measure()
    } catch {
        LDAPBenchmark.exit(withError: error)
    }
case "sync":
    let benchmark = SyncBenchmark.parseOrExit(Array(CommandLine.arguments.dropFirst(2)))
    do {
        try await benchmark.measure()
    } catch {
        SyncBenchmark.exit(withError: error)
    }
case "console":
    let benchmark = ConsoleBenchmark.parseOrExit(Array(CommandLine.arguments.dropFirst(2)))
    do {
        try await benchmark.measure()
    } catch {
        ConsoleBenchmark.exit(withError: error)
    }
default:
    let benchmark = Benchmark.parseOrExit()
    do {
        try await benchmark.measure()
    } catch {
        Benchmark.exit(withError: error)
    }
}
