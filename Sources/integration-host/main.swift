import IntegrationHost

import Foundation

exit(await HostCommand.main(CommandLine.arguments))
