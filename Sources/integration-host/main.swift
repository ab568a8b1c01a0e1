import HostApp

import Foundation

exit(await HostCommand.main(CommandLine.arguments))
