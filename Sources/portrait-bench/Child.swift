import ArgumentParser
import Foundation

/// A measured child process: the benchmark runs `portrait` as users do, in a process of its own.
enum Child {
    /// `portrait-bench run-portrait ARGS…` is this executable acting as `portrait ARGS…`.
    static let portraitCommand = "run-portrait"

    static var benchmarkExecutable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }

    struct Measurement {
        var seconds: Double
        /// User and system CPU time: less moved than wall time by other work on the machine.
        var cpuSeconds: Double
        var peakMB: Double
        var status: Int32
        var stdout: Data
        var stderr: Data
    }

    /// Wall and CPU time, peak resident memory (MB), exit status and standard output of one run.
    static func run(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:]) throws -> Measurement {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("portrait-bench-\(UUID().uuidString).out")
        let errors = output.appendingPathExtension("err")
        defer {
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(at: errors)
        }
        let started = Date()
        var pid: pid_t = 0
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errors.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard posix_spawn(&pid, executable, &actions, nil, argv, envp) == 0 else {
            throw ValidationError("cannot start \(executable)")
        }
        // ru_maxrss would carry this process's own high-water mark into the child across exec,
        // so the child's memory is read from /proc while it runs: VmHWM is its own peak.
        var peakKB = 0
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, WNOHANG, &usage) == 0 {
            peakKB = max(peakKB, peakResidentKB(of: pid) ?? 0)
            usleep(20_000)
        }
        let seconds = Date().timeIntervalSince(started)
        let stdout = (try? Data(contentsOf: output)) ?? Data()
        let stderr = (try? Data(contentsOf: errors)) ?? Data()
        // A child killed by a signal (a crash) has exit status 0 in its high byte: 128 + the signal, as a shell says.
        let exit = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + status & 0x7f
        func total(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return Measurement(seconds: seconds, cpuSeconds: total(usage.ru_utime) + total(usage.ru_stime), peakMB: Double(peakKB) / 1024, status: exit, stdout: stdout, stderr: stderr)
    }

    private static func peakResidentKB(of pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return line.split(separator: " ").compactMap { Int($0) }.first
    }
}
