using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Campaign.EndToEndTests;

/// <summary>A span as a service exported it.</summary>
public sealed record ExportedSpan(string Service, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind)
{
    public const int Server = 2;
    public const int Client = 3;
    public const int Producer = 4;
    public const int Consumer = 5;

    public override string ToString() => $"{Service}: {Name} (kind {Kind}, span {SpanId}, parent {ParentSpanId})";
}

/// <summary>
/// A tiny OTLP/HTTP receiver (protobuf, <c>POST /v1/traces</c>) the services export their spans to
/// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>). It decodes just enough of
/// ExportTraceServiceRequest: each span's service.name, trace id, span id, parent span id, name and kind. Metrics and
/// logs are accepted and dropped.
/// </summary>
public sealed class OtlpTraceReceiver : IDisposable
{
    readonly HttpListener _listener = new();
    readonly ConcurrentQueue<ExportedSpan> _spans = new();
    readonly Task _loop;

    public OtlpTraceReceiver()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/");
        }
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _loop = Task.Run(ReceiveAsync);
    }

    public Uri Endpoint { get; }

    /// <summary>The settings that make a service export its spans here within a fraction of a second.</summary>
    public IReadOnlyDictionary<string, string> ServiceSettings => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "1000",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "60000",
    };

    public IReadOnlyList<ExportedSpan> Spans(string traceId) => [.. _spans.Where(s => s.TraceId == traceId)];

    async Task ReceiveAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                if (context.Request.Url?.AbsolutePath == "/v1/traces")
                {
                    using var body = new MemoryStream();
                    var input = context.Request.Headers["Content-Encoding"] == "gzip"
                        ? new GZipStream(context.Request.InputStream, CompressionMode.Decompress)
                        : context.Request.InputStream;
                    await input.CopyToAsync(body);
                    foreach (var span in Decode(body.ToArray()))
                        _spans.Enqueue(span);
                }
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
            }
            catch (Exception exception) when (exception is IOException or FormatException or HttpListenerException)
            {
                context.Response.StatusCode = 400;
            }
            context.Response.Close();
        }
    }

    // ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
    // Resource { repeated KeyValue attributes = 1; }  KeyValue { string key = 1; AnyValue value = 2; }  AnyValue { string string_value = 1; }
    // ScopeSpans { repeated Span spans = 2; }
    // Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; SpanKind kind = 6; }
    static IEnumerable<ExportedSpan> Decode(byte[] request)
    {
        foreach (var resourceSpans in Fields(request).Where(f => f.Number == 1).Select(f => f.Bytes))
        {
            var service = "";
            foreach (var resource in Fields(resourceSpans).Where(f => f.Number == 1))
            {
                foreach (var attribute in Fields(resource.Bytes).Where(f => f.Number == 1))
                {
                    var kv = Fields(attribute.Bytes).ToList();
                    if (kv.FirstOrDefault(f => f.Number == 1).Text == "service.name" && kv.FirstOrDefault(f => f.Number == 2).Bytes is { } value)
                        service = Fields(value).FirstOrDefault(f => f.Number == 1).Text ?? "";
                }
            }
            foreach (var scopeSpans in Fields(resourceSpans).Where(f => f.Number == 2))
            {
                foreach (var span in Fields(scopeSpans.Bytes).Where(f => f.Number == 2))
                {
                    var fields = Fields(span.Bytes).ToList();
                    yield return new ExportedSpan(
                        service,
                        Convert.ToHexStringLower(fields.FirstOrDefault(f => f.Number == 1).Bytes ?? []),
                        Convert.ToHexStringLower(fields.FirstOrDefault(f => f.Number == 2).Bytes ?? []),
                        Convert.ToHexStringLower(fields.FirstOrDefault(f => f.Number == 4).Bytes ?? []),
                        fields.FirstOrDefault(f => f.Number == 5).Text ?? "",
                        (int)fields.FirstOrDefault(f => f.Number == 6).Varint);
                }
            }
        }
    }

    readonly record struct Field(int Number, ulong Varint, byte[]? Bytes)
    {
        public string? Text => Bytes is null ? null : Encoding.UTF8.GetString(Bytes);
    }

    /// <summary>The fields of one protobuf message, in order (varint, 64-bit, length-delimited and 32-bit wire types).</summary>
    static IEnumerable<Field> Fields(byte[]? message)
    {
        message ??= [];
        var position = 0;
        while (position < message.Length)
        {
            var tag = ReadVarint(message, ref position);
            var number = (int)(tag >> 3);
            switch (tag & 7)
            {
                case 0:
                    yield return new Field(number, ReadVarint(message, ref position), null);
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(message, ref position);
                    if (length < 0 || position + length > message.Length)
                        throw new FormatException("Truncated protobuf field.");
                    yield return new Field(number, 0, message[position..(position + length)]);
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new FormatException($"Unsupported protobuf wire type {tag & 7}.");
            }
        }
    }

    static ulong ReadVarint(byte[] buffer, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= buffer.Length)
                throw new FormatException("Truncated varint.");
            var b = buffer[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw new FormatException("Varint too long.");
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
