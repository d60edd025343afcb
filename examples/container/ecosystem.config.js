// pm2 for images that run ComfyUI under pm2 (pm2-runtime as the container's command).
//
// `comfy-secrets-creator` is the process that writes the secret files. It runs once, before ComfyUI, with
// no sleep: it *is* ComfyUI's process — `comfy-secrets exec` writes the files, then starts ComfyUI as its
// child (so ComfyUI cannot start before the files exist), forwards pm2's signals to it, exits with
// ComfyUI's exit code and removes the files. Its start-up report and any error are in
//
//     pm2 logs comfy-secrets-creator            # or: pm2 logs comfy-secrets-creator --lines 200
//
// (JSON lines, one per sink; no value is ever logged). A failed sink stops the start with exit 1, and
// pm2 restarts it, so a missing secret shows up as a restart loop with the error in those logs.
module.exports = {
  apps: [
    {
      name: 'comfy-secrets-creator',
      cwd: '/workspace/ComfyUI',
      script: 'comfy-secrets',
      args: ['exec', '--comfyui-dir', '/workspace/ComfyUI', '--', 'python', 'main.py', '--listen', '--port', '8188'],
      interpreter: 'none',
      autorestart: true,
      max_restarts: 5,
      // give ComfyUI time to stop after pm2's SIGINT before SIGKILL (comfy-secrets forwards the signal)
      kill_timeout: 30000,
      env: { COMFY_SECRETS_LOG_LEVEL: 'info' },
    },
  ],
};
