import Testing

/// Every plugin suite, run one test at a time: they compile C plugins, load libraries and fire hundreds of
/// concurrent requests, which would otherwise crowd the timing-sensitive suites that run beside them on 2 cores.
@Suite(.serialized) enum PluginTests {}
