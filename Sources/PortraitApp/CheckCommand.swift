import ArgumentParser
import Foundation
import PortraitConsole
import PortraitCore
import PortraitEngine
import PortraitImaging

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration, reach each system and list what is wrong with its people.",
        discussion: "Exit codes: 0 all well; 1 some people have problems; 2 a configuration error; 3 a system cannot be reached or refuses the credentials."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Check only this system.")
    var system: String?

    struct SystemResult: Encodable {
        var ok: Bool
        var people: Int
        var error: String?
        var errors: [ListingItem]
        var warnings: [ListingItem]
    }

    struct ListingItem: Encodable {
        var subject: String
        var message: String
    }

    func run() async throws {
        Terminal.startLogging(verbose: common.verbose)
        let config: PortraitConfig
        let names: [String]
        do {
            config = try common.loadConfig()
            if let system { try config.requireName(system) }
            names = system.map { [$0] } ?? config.systemNames
        } catch {
            throw fail("check", error, json: common.json)
        }

        var results: [String: SystemResult] = [:]
        var errors: [ReportedProblem] = []
        var warnings: [ReportedProblem] = []
        var status = ExitStatus.success
        for name in names {
            let (result, failure) = await Self.check(name, in: config)
            results[name] = result
            errors += result.errors.map { ReportedProblem(person: $0.subject, system: name, message: $0.message) }
            warnings += result.warnings.map { ReportedProblem(person: $0.subject, system: name, message: $0.message) }
            if let failure {
                errors.append(ReportedProblem(person: "", system: name, message: "\(failure)"))
                if !common.json { Terminal.err("error: \(failure)") }
                status = max(status, ExitStatus.forError(failure))
            } else if !result.errors.isEmpty {
                status = max(status, .someFailed)
            }
        }
        if common.json {
            Terminal.json(CheckJSON(config: config.file.path, ok: status == .success, systems: results,
                                    errors: errors, warnings: warnings, exitCode: status.rawValue))
        } else {
            Terminal.out(status == .success ? "Configuration \(config.file.path) is valid; every system answers."
                : status == .someFailed ? "Configuration \(config.file.path) is valid, but some people have problems (below)."
                : "Configuration \(config.file.path): problems found (below).")
            for name in names {
                guard let result = results[name] else { continue }
                let state = result.ok ? "reachable, \(ReportText.people(result.people))" : "NOT OK: \(result.error ?? "")"
                Terminal.out("  \(name): \(state)")
                for item in result.errors { Terminal.out("    error: \(ReportText.strip(item.message, name))") }
                for item in result.warnings { Terminal.out("    warning: \(ReportText.strip(item.message, name))") }
            }
        }
        if status != .success { throw CommandExit(status: status) }
    }

    /// Builds the system (checking its settings), reaches it and lists it; `location` says where
    /// it is, once built.
    static func check(_ name: String, in config: PortraitConfig, location: ((String) -> Void)? = nil) async -> (SystemResult, (any Error)?) {
        var result = SystemResult(ok: true, people: 0, error: nil, errors: [], warnings: [])
        do {
            let system = try config.system(named: name)
            location?(system.location)
            try await system.check()
            for try await page in system.listPeople() {
                result.people += page.accounts.count
                for problem in page.problems {
                    let item = ListingItem(subject: problem.subject, message: problem.message)
                    if problem.severity == .warning { result.warnings.append(item) } else { result.errors.append(item) }
                }
            }
            if system.capabilities.renditions.contains(where: { $0.crop == .face }), let problem = ImagePipeline.faceDetectionProblem {
                result.errors.append(ListingItem(subject: "", message: "crop = \"face\": \(problem)"))
            }
            // A target that can say whether it may be written to, before a push finds out per person.
            if let target = system as? any WriteAccessChecking, !target.capabilities.renditions.isEmpty,
               let problem = try await target.writeAccessProblem() {
                result.warnings.append(ListingItem(subject: "", message: problem))
            }
            // Where sync writes over people's own photos, whether the system lets them set one.
            if let policy = config.syncPolicy, policy.overwritesOwnChanges(in: name), let reporter = system as? any SelfServiceReporting {
                switch try await reporter.selfService() {
                case .open(let how):
                    result.warnings.append(ListingItem(subject: "", message: "\(how); [sync] writes over a photo someone sets in \(name) "
                        + "at every run: restrict who may change photos there (README, \"Who may change a photo\") rather than revert people's changes for ever"))
                case .unknown(let why):
                    result.warnings.append(ListingItem(subject: "", message: "\(why); [sync] writes over photos people set in \(name): check who may (README, \"Who may change a photo\")"))
                case .closed:
                    break
                }
            }
        } catch {
            result.ok = false
            result.error = "\(error)"
            return (result, error)
        }
        return (result, nil)
    }
}

/// The `--json` object of `portrait check`: `ok`, `errors`, `warnings` and `exit_code` as push
/// has them, and each system's result.
struct CheckJSON: Encodable {
    var command = "check"
    var config: String
    var ok: Bool
    var systems: [String: CheckCommand.SystemResult]
    var errors: [ReportedProblem]
    var warnings: [ReportedProblem]
    var exitCode: Int32

    enum CodingKeys: String, CodingKey {
        case command, config, ok, systems, errors, warnings
        case exitCode = "exit_code"
    }
}

/// The console's Systems page: every system checked as `portrait check` checks it, from
/// portrait.toml as it is now.
struct ConsoleCheck: ConsoleChecking {
    let file: URL

    func checkSystems() async -> [SystemCheck] {
        let config: PortraitConfig
        do {
            config = try PortraitConfig.load(from: file)
        } catch {
            return [SystemCheck(name: "portrait.toml", location: file.path, ok: false, people: 0, problem: "\(error)", errors: [], warnings: [])]
        }
        var checks: [SystemCheck] = []
        for name in config.systemNames {
            var location = ""
            let (result, _) = await CheckCommand.check(name, in: config) { location = $0 }
            checks.append(SystemCheck(name: name, location: location, ok: result.ok, people: result.people, problem: result.error,
                                      errors: result.errors.map { ReportText.strip($0.message, name) },
                                      warnings: result.warnings.map { ReportText.strip($0.message, name) }))
        }
        return checks
    }
}
