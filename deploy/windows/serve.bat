@echo off
rem 控辍保学管理平台 on a township's Windows PC (docs/部署指南.md, "Windows 电脑").
rem Double-click to start; close the window or press Ctrl+C to stop. The database is
rem instance\kongchuo.db (SQLite) unless DATABASE_URL is set.
chcp 65001 >nul
cd /d "%~dp0\..\.."
.venv\Scripts\flask.exe --app admin_app serve --host 0.0.0.0 --port 8000
pause
