using Campaign.Outbox.Delivery;

namespace Communications.Sending;

/// <summary>Wakes the mail sender when a message was committed in this process (the outbox relay's kind of signal).</summary>
public sealed class OutboundMailSignal : WakeSignal;
