/// `/etc/logrotate.d/vigil`, installed with the cron boot files: the cron line appends both programs' output to
/// `/var/log/vigil/*.log` forever, and nothing else would ever shorten those files. (Under systemd the journal rotates.)
///
/// `copytruncate`, because the running program holds the log open and is never told to reopen it; it appends
/// (`>>`, O_APPEND), so after the truncation its next line lands at the new end, not at the old offset.
public enum LogRotation {
    public static let fileName = "vigil"

    public static let configuration = """
        # Rotates the logs of Vigil programs started by cron (written by `install-boot --cron`).
        /var/log/vigil/*.log {
            weekly
            maxsize 50M
            rotate 8
            compress
            delaycompress
            missingok
            notifempty
            copytruncate
        }

        """
}
