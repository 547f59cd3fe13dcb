from edgesim.cli import main

main()
