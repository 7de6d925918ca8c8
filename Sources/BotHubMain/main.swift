import BotHub

await BotHubProgram.main()
