using System.Diagnostics;

namespace Campaign.Outbox.Relay;

/// <summary>
/// Who runs passes in one relay. At moderate rates one worker's passes at a time: a wake that finds them running asks them
/// to look once more when they end, instead of a second worker claiming a single message beside them. In a backlog (the
/// last pass was full), or while a pass is slow, every worker that is woken runs passes of its own.
/// </summary>
sealed class RelayPasses
{
    /// <summary>A pass that has run this long (a slow broker confirm, say) no longer holds back the other workers.</summary>
    static readonly TimeSpan SlowPass = TimeSpan.FromSeconds(1);

    readonly Lock _gate = new();
    int _running;
    bool _backlog;
    bool _recheck;
    long _passStarted;

    /// <summary>True: run passes (and call <see cref="TryEnd"/> or <see cref="End"/> after). False: the running ones will look again.</summary>
    public bool TryBegin()
    {
        lock (_gate)
        {
            if (_running > 0 && !_backlog && Stopwatch.GetElapsedTime(_passStarted) < SlowPass)
            {
                _recheck = true;
                return false;
            }
            _running++;
            _passStarted = Stopwatch.GetTimestamp();
            return true;
        }
    }

    /// <summary>A pass ended (and the next may begin): whether it was full, and a fresh start for the slow-pass clock.</summary>
    public void Backlog(bool full)
    {
        lock (_gate)
        {
            _backlog = full;
            _passStarted = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>A wake came while a pass ran: look once more (and forget it).</summary>
    public bool TakeRecheck()
    {
        lock (_gate)
        {
            var recheck = _recheck;
            _recheck = false;
            return recheck;
        }
    }

    /// <summary>Stops, unless a wake came meanwhile (false: run one more pass; nobody else will).</summary>
    public bool TryEnd()
    {
        lock (_gate)
        {
            if (_recheck)
            {
                _recheck = false;
                return false;
            }
            _running--;
            return true;
        }
    }

    public void End()
    {
        lock (_gate)
            _running--;
    }
}
