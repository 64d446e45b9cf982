using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Campaign.ResilienceTests.Support;

/// <summary>
/// A minimal OTLP/HTTP receiver: the services export traces, logs and metrics to it (OTEL_EXPORTER_OTLP_ENDPOINT,
/// http/protobuf) and it searches every payload, as it arrives, for the values it was told to watch for. Protobuf stores
/// strings as plain UTF-8, so a payload can be searched without decoding it. Payloads are not kept (a soak exports gigabytes).
/// </summary>
public sealed class OtlpSink : IAsyncDisposable
{
    readonly HttpListener _listener = new();
    readonly ConcurrentDictionary<string, (int Requests, long Bytes)> _received = new();
    readonly ConcurrentQueue<string> _findings = new();
    volatile string[] _markers = [];
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    public OtlpSink()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ReceiveAsync);
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>The environment that makes a service export everything here, every second.</summary>
    public IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "1000",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "5000",
    };

    /// <summary>Payloads received per signal path (/v1/traces, /v1/logs, /v1/metrics).</summary>
    public IReadOnlyDictionary<string, (int Requests, long Bytes)> Received => _received;

    /// <summary>The watched values found, with the signal and some context (at most 100).</summary>
    public IReadOnlyCollection<string> Findings => _findings;

    /// <summary>From now on, every payload is searched for these (case-insensitive, ASCII).</summary>
    public void Watch(IReadOnlyCollection<string> markers) => _markers = [.. markers];

    void Search(string path, byte[] body)
    {
        var markers = _markers;
        if (markers.Length == 0 || _findings.Count >= 100)
            return;
        var text = Encoding.Latin1.GetString(body);
        foreach (var marker in markers)
        {
            var at = text.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
            if (at >= 0)
            {
                var from = Math.Max(0, at - 60);
                _findings.Enqueue($"{path}: '{marker}' in …{Printable(text.Substring(from, Math.Min(160, text.Length - from)))}…");
            }
        }
    }

    static string Printable(string text) => new([.. text.Select(c => c is >= ' ' and <= '~' ? c : '.')]);

    async Task ReceiveAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested || !_listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                continue;
            }

            try
            {
                using var body = new MemoryStream();
                var input = context.Request.Headers["Content-Encoding"] == "gzip"
                    ? new GZipStream(context.Request.InputStream, CompressionMode.Decompress)
                    : context.Request.InputStream;
                await using (input)
                    await input.CopyToAsync(body);
                var path = context.Request.Url?.AbsolutePath ?? "?";
                var bytes = body.ToArray();
                _received.AddOrUpdate(path, (1, bytes.Length), (_, r) => (r.Requests + 1, r.Bytes + bytes.Length));
                Search(path, bytes);
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.ContentLength64 = 0;
            }
            catch (Exception exception) when (exception is IOException or HttpListenerException or InvalidDataException)
            {
                context.Response.StatusCode = 400;
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
        }
        _listener.Close();
        _stop.Dispose();
    }
}
