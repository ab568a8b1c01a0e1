import Foundation
import HostApp
import Plugins

// `integration-host plugin-worker …` is the process an isolated plugin runs in (Plugins/Isolation/PluginWorker).
if CommandLine.arguments.count > 1, CommandLine.arguments[1] == PluginWorker.subcommand {
    exit(PluginWorker.main(Array(CommandLine.arguments.dropFirst(2))))
}
exit(await HostCommand.main(CommandLine.arguments))
