import SentryAgent

await SentryAgentProgram.main()
