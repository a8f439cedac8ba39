@echo off
rem pixdesk from an installed app: the bundled command line run by the app itself in Node mode.
rem Add this folder to PATH (see the README).
setlocal
set ELECTRON_RUN_AS_NODE=1
"%~dp0..\..\Pixdesk.exe" "%~dp0..\app.asar\out\cli\index.js" %*
exit /b %ERRORLEVEL%
