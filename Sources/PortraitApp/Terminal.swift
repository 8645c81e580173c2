import Foundation
import Logging
import PortraitEngine

/// Where output goes: results on stdout, everything else (progress, logs, errors) on stderr.
enum Terminal {
    static let errorIsTerminal = isatty(STDERR_FILENO) == 1
    private static let lock = NSLock()

    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// A line on stderr, clearing a progress bar drawn there first.
    static func err(_ text: String) {
        lock.withLock {
            FileHandle.standardError.write(Data(((errorIsTerminal ? "\r\u{1B}[K" : "") + text + "\n").utf8))
        }
    }

    /// Prints one JSON object on stdout: with `--json`, the only thing a command prints there.
    static func json(_ object: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(object)) ?? Data("{}".utf8)
        out(String(decoding: data, as: UTF8.self))
    }

    /// Sends what the HTTP layer logs (retries, waits, unreachable systems) to stderr: warnings
    /// and notices always, the rest with `-v`.
    static func startLogging(verbose: Bool) {
        startLogging(level: verbose ? .info : .notice, timestamped: false)
    }

    /// `timestamped` for a server's log (`serve`), where lines are read later.
    static func startLogging(level: Logger.Level, timestamped: Bool) {
        LoggingSystem.bootstrap { _ in StderrLog(logLevel: level, timestamped: timestamped) }
    }
}

/// A log line is a sentence for the person at the terminal: its message, nothing else (and the
/// time, for a server).
struct StderrLog: LogHandler {
    var logLevel: Logger.Level
    var timestamped = false
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let prefix = (timestamped ? Date().formatted(.iso8601) + " " : "") + (event.level >= .warning ? "warning: " : "")
        Terminal.err(prefix + event.message.description)
    }
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal: done/total, rate,
/// ETA; with `verbose`, a line per person above it.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private let enabled: Bool
    private let verbose: Bool
    private let started = Date()
    private var total = 0
    private var done = 0
    private var failed = 0
    private var lastDrawn = Date.distantPast

    init(verbose: Bool = false, enabled: Bool = Terminal.errorIsTerminal) {
        self.enabled = enabled
        self.verbose = verbose
    }

    /// Takes the engines' progress events.
    func update(_ event: RunProgress) {
        lock.withLock {
            switch event {
            case .listed(let total):
                self.total = total
            case .finished(let result):
                done += 1
                if result.failed { failed += 1 }
            case .pulled(_, _, let failed):
                done += 1
                if failed { self.failed += 1 }
            }
        }
        if verbose {
            switch event {
            case .listed: break
            case .finished(let result):
                for outcome in result.outcomes {
                    let said = outcome.message.map { ": \($0)" } ?? ""
                    Terminal.err("\(outcome.person) → \(outcome.system): \(outcome.action.rawValue)\(said)")
                }
            case .pulled(let person, let outcome, _):
                Terminal.err("\(person): \(outcome)")
            }
        }
        draw(force: false)
    }

    /// Clears the bar so the report starts on a clean line.
    func end() {
        guard enabled else { return }
        draw(force: true)
        FileHandle.standardError.write(Data("\n".utf8))
    }

    private func draw(force: Bool) {
        guard enabled else { return }
        let line: String? = lock.withLock {
            let now = Date()
            guard force || now.timeIntervalSince(lastDrawn) >= 0.1 else { return nil }
            lastDrawn = now
            let elapsed = max(now.timeIntervalSince(started), 0.001)
            let rate = Double(done) / elapsed
            let fraction = total > 0 ? Double(done) / Double(total) : 0
            let width = 28
            let filled = min(width, Int(fraction * Double(width)))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let remaining = rate > 0 ? Double(total - done) / rate : 0
            let eta = total > done && rate > 0 ? " ETA \(Self.clock(remaining))" : ""
            let failures = failed > 0 ? " \(failed) failed" : ""
            return String(format: "\r%@ %d/%d  %.1f/s%@%@\u{1B}[K", bar, done, total, rate, eta, failures)
        }
        if let line { FileHandle.standardError.write(Data(line.utf8)) }
    }

    private static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
