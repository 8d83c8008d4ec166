@echo off
rem Daily backup on the Windows PC: run by Task Scheduler (docs/部署指南.md).
chcp 65001 >nul
cd /d "%~dp0\..\.."
.venv\Scripts\flask.exe --app admin_app backup
