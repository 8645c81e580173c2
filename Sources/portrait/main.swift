import PortraitApp

await PortraitCommand.run()
