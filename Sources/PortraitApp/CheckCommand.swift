import ArgumentParser
import Foundation
import PortraitCore

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration, reach each system and list what is wrong with its people."
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
        let config: PortraitConfig
        let names: [String]
        do {
            config = try common.loadConfig()
            names = try system.map { [try config.system(named: $0).name] } ?? config.systemNames
        } catch {
            throw fail("check", error, json: common.json)
        }

        var results: [String: SystemResult] = [:]
        var status = ExitStatus.success
        for name in names {
            let (result, failure) = await check(try config.system(named: name))
            results[name] = result
            if let failure {
                Terminal.err("error: \(name): \(failure)")
                status = max(status, ExitStatus.forError(failure))
            } else if !result.errors.isEmpty {
                status = max(status, .someFailed)
            }
        }
        if common.json {
            Terminal.json(CheckJSON(config: config.file.path, systems: results, exitCode: status.rawValue))
        } else {
            Terminal.out("Configuration \(config.file.path) is valid.")
            for name in names {
                guard let result = results[name] else { continue }
                let state = result.ok ? "reachable, \(result.people) people" : "NOT REACHABLE: \(result.error ?? "")"
                Terminal.out("  \(name): \(state)")
                for item in result.errors { Terminal.out("    error: \(item.message)") }
                for item in result.warnings { Terminal.out("    warning: \(item.message)") }
            }
        }
        if status != .success { throw CommandExit(status: status) }
    }

    private func check(_ system: any PhotoSystem) async -> (SystemResult, (any Error)?) {
        var result = SystemResult(ok: true, people: 0, error: nil, errors: [], warnings: [])
        do {
            try await system.check()
            for try await page in system.listPeople() {
                result.people += page.accounts.count
                for problem in page.problems {
                    let item = ListingItem(subject: problem.subject, message: problem.message)
                    if problem.severity == .warning { result.warnings.append(item) } else { result.errors.append(item) }
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

struct CheckJSON: Encodable {
    var command = "check"
    var config: String
    var systems: [String: CheckCommand.SystemResult]
    var exitCode: Int32

    enum CodingKeys: String, CodingKey {
        case command, config, systems
        case exitCode = "exit_code"
    }
}
