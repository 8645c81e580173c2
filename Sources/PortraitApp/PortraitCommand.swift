import ArgumentParser
import Foundation
import PortraitImaging

/// `portrait`: keeps people's profile photos right everywhere an organisation shows them.
public struct PortraitCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "portrait",
        abstract: "Keep profile photos right in Active Directory, Entra ID / Microsoft 365, Google Workspace and photo folders.",
        discussion: """
            Exit codes: 0 everything done; 1 some items failed, the rest done; 2 usage or \
            configuration error, nothing done; 3 a system could not be reached or refused the credentials.
            """,
        version: PortraitCommand.version,
        subcommands: [PushCommand.self, PullCommand.self, SyncCommand.self, QueueCommand.self, ApproveCommand.self, RejectCommand.self, ReopenCommand.self,
                      StatusCommand.self, HistoryCommand.self, CheckCommand.self, CheckPhotosCommand.self, LogCommand.self, ServeCommand.self,
                      UserCommand.self, SandboxCommand.self, SamplesCommand.self]
    )

    public static let version = "0.4.0"

    public init() {}

    /// Runs the command line and exits with a status from `ExitStatus`; argument errors exit 2.
    public static func run(arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Never {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(.success)
        } catch let status as CommandExit {
            exit(status.status)
        } catch {
            if exitCode(for: error) == .success {
                Terminal.out(fullMessage(for: error))
                exit(.success)
            }
            Terminal.err(fullMessage(for: error))
            exit(.usage)
        }
    }

    /// Exits once no photo is being decoded: libvips' exit handler would pull memory from under it.
    static func exit(_ status: ExitStatus) -> Never {
        VipsGate.closeForExit()
        Foundation.exit(status.rawValue)
    }
}

/// Ends a command with a status, after it has printed what it has to say.
struct CommandExit: Error {
    var status: ExitStatus
}

/// The configuration file alone: for commands that print no report (`user …`, `serve`).
struct ConfigFileOption: ParsableArguments {
    @Option(name: .long, help: "The configuration file.")
    var config: String = "portrait.toml"

    func loadConfig() throws -> PortraitConfig {
        try PortraitConfig.load(from: URL(fileURLWithPath: config))
    }
}

/// Options every command takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "The configuration file.")
    var config: String = "portrait.toml"

    @Flag(name: .long, help: "Print one JSON object on stdout when done; progress and logs stay on stderr.")
    var json = false

    @Flag(name: [.short, .long], help: "Print a line per person, and every retry, on stderr.")
    var verbose = false

    func loadConfig() throws -> PortraitConfig {
        try PortraitConfig.load(from: URL(fileURLWithPath: config))
    }

    /// The command as typed, for the run lock's "which run holds the store".
    var commandLine: String {
        (["portrait"] + CommandLine.arguments.dropFirst().filter { $0 != "run-portrait" }).joined(separator: " ")
    }
}

/// A command's failure before or instead of its work: said on stderr, or as JSON, with its status.
func fail(_ command: String, _ error: any Error, json: Bool) -> CommandExit {
    let status = ExitStatus.forError(error)
    if json {
        Terminal.json(FailureJSON(command: command, error: "\(error)", exitCode: status.rawValue))
    }
    Terminal.err("error: \(error)")
    return CommandExit(status: status)
}

struct FailureJSON: Encodable {
    var command: String
    var error: String
    var exitCode: Int32

    enum CodingKeys: String, CodingKey {
        case command, error
        case exitCode = "exit_code"
    }
}
