// pm2 for images that run ComfyUI under pm2 (pm2-runtime as the container's command).
//
// `runtime-env-creator` is the process that writes the secret files. It runs once, before ComfyUI, with
// no sleep: it *is* ComfyUI's process — `runtime-env exec` writes the files, then starts ComfyUI as its
// child (so ComfyUI cannot start before the files exist), forwards pm2's signals to it, exits with
// ComfyUI's exit code and removes the files. Its start-up report and any error are in
//
//     pm2 logs runtime-env-creator            # or: pm2 logs runtime-env-creator --lines 200
//
// (JSON lines, one per sink; no value is ever logged). A failed sink stops the start with exit 1, and
// pm2 restarts it, so a missing secret shows up as a restart loop with the error in those logs.
module.exports = {
  apps: [
    {
      name: 'runtime-env-creator',
      cwd: '/workspace/ComfyUI',
      script: 'runtime-env',
      args: ['exec', '--comfyui-dir', '/workspace/ComfyUI', '--', 'python', 'main.py', '--listen', '0.0.0.0', '--port', '8188'],
      interpreter: 'none',
      autorestart: true,
      max_restarts: 5,
      // give ComfyUI time to stop after pm2's SIGINT before SIGKILL (runtime-env forwards the signal)
      kill_timeout: 30000,
      env: { RUNTIME_ENV_LOG_LEVEL: 'info' },
    },
  ],
};
