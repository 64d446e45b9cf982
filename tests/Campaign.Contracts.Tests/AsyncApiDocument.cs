using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Campaign.Contracts.Tests;

/// <summary>
/// docs/asyncapi.yaml (AsyncAPI 3.0), generated from the contracts: a channel per event (the fanout exchange MassTransit
/// names after the type), the message's payload schema as MassTransit's serializer writes it (camelCase; decimals as
/// strings), and its producer and description from the type's XML documentation ("Published by ...").
/// </summary>
public static partial class AsyncApiDocument
{
    public static string Generate(Assembly contracts, string version)
    {
        ArgumentNullException.ThrowIfNull(contracts);
        var docs = XDocument.Load(Path.ChangeExtension(contracts.Location, ".xml"));
        var types = contracts.GetExportedTypes().OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var yaml = new StringBuilder();
        void Line(int indent, string text) => yaml.Append(' ', indent * 2).Append(text).Append('\n');

        Line(0, "# Generated from shared/Campaign.Contracts by tests/Campaign.Contracts.Tests (AsyncApiTests); do not edit by hand:");
        Line(0, "# CAMPAIGN_UPDATE_ASYNCAPI=1 dotnet test tests/Campaign.Contracts.Tests rewrites it.");
        Line(0, "asyncapi: 3.0.0");
        Line(0, "info:");
        Line(1, "title: Campaign events");
        Line(1, $"version: {version}");
        Line(1, "description: >-");
        Line(2, "The events the Campaign services publish through their transactional outboxes to RabbitMQ (MassTransit 8).");
        Line(2, "Each event type has a fanout exchange named after its full type name; a subscriber binds its own queue to it.");
        Line(2, "On the wire each message is MassTransit's JSON envelope (application/vnd.masstransit+json) whose `message`");
        Line(2, "property holds the payload described here. Take the types from the Campaign.Contracts package.");
        Line(0, "defaultContentType: application/vnd.masstransit+json");
        Line(0, "servers:");
        Line(1, "rabbitmq:");
        Line(2, "host: localhost:55671");
        Line(2, "protocol: amqps");
        Line(2, "description: The broker of deploy/local/infra (TLS; one virtual host, one user per service).");
        Line(0, "channels:");
        foreach (var type in types)
        {
            var exchange = $"{type.Namespace}:{type.Name}";
            Line(1, $"{type.Name}:");
            Line(2, $"address: '{exchange}'");
            Line(2, $"description: {Quote(Summary(docs, type))}");
            Line(2, "messages:");
            Line(3, $"{type.Name}:");
            Line(4, $"$ref: '#/components/messages/{type.Name}'");
            Line(2, "bindings:");
            Line(3, "amqp:");
            Line(4, "is: routingKey");
            Line(4, "exchange:");
            Line(5, $"name: '{exchange}'");
            Line(5, "type: fanout");
            Line(5, "durable: true");
            Line(5, "autoDelete: false");
        }
        Line(0, "operations:");
        foreach (var type in types)
        {
            Line(1, $"publish{type.Name}:");
            Line(2, "action: send");
            Line(2, $"summary: {Producer(docs, type)} publishes it through its outbox.");
            Line(2, "channel:");
            Line(3, $"$ref: '#/channels/{type.Name}'");
            Line(2, "tags:");
            Line(3, $"- name: 'producer:{Producer(docs, type)}'");
        }
        Line(0, "components:");
        Line(1, "messages:");
        foreach (var type in types)
        {
            Line(2, $"{type.Name}:");
            Line(3, $"name: {type.Name}");
            Line(3, $"title: {type.Name}");
            Line(3, "payload:");
            Line(4, $"$ref: '#/components/schemas/{type.Name}'");
        }
        Line(1, "schemas:");
        var nullability = new NullabilityInfoContext();
        foreach (var type in types)
        {
            var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
            Line(2, $"{type.Name}:");
            Line(3, "type: object");
            Line(3, "additionalProperties: true");
            Line(3, "required:");
            foreach (var parameter in constructor.GetParameters())
                Line(4, $"- {Camel(parameter.Name!)}");
            Line(3, "properties:");
            foreach (var parameter in constructor.GetParameters())
            {
                Line(4, $"{Camel(parameter.Name!)}:");
                var nullable = nullability.Create(parameter).ReadState == NullabilityState.Nullable;
                foreach (var schemaLine in Schema(parameter.ParameterType, nullable))
                    Line(5, schemaLine);
                if (Param(docs, type, parameter.Name!) is { Length: > 0 } description)
                    Line(5, $"description: {Quote(description)}");
            }
        }
        return yaml.ToString();
    }

    /// <summary>The producing service, from "Published ... by X" in the type's summary.</summary>
    public static string Producer(XDocument docs, Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var match = PublishedBy().Match(Summary(docs, type));
        return match.Success ? match.Groups[1].Value : throw new InvalidOperationException($"{type.Name}'s summary does not say who publishes it (\"Published by ...\").");
    }

    static IEnumerable<string> Schema(Type type, bool nullable)
    {
        var (kind, format) = type switch
        {
            _ when type == typeof(Guid) => ("string", "uuid"),
            _ when type == typeof(DateTimeOffset) => ("string", "date-time"),
            _ when type == typeof(DateOnly) => ("string", "date"),
            _ when type == typeof(decimal) => ("string", "decimal"),
            _ when type == typeof(int) || type == typeof(long) => ("integer", null),
            _ when type == typeof(string) => ("string", null),
            _ when type.IsGenericType && type.GetGenericArguments() is [var item] && typeof(IEnumerable<>).MakeGenericType(item).IsAssignableFrom(type) => ("array", null),
            _ => throw new NotSupportedException($"No schema for {type} yet: add it to AsyncApiDocument."),
        };
        yield return nullable ? $"type: [{kind}, 'null']" : $"type: {kind}";
        if (format is not null)
            yield return $"format: {format}";
        if (type == typeof(decimal))
            yield return "pattern: '^-?[0-9]+(\\.[0-9]+)?$'";
        if (kind == "array")
        {
            yield return "items:";
            foreach (var line in Schema(type.GetGenericArguments()[0], nullable: false))
                yield return "  " + line;
        }
    }

    static string Summary(XDocument docs, Type type) => Text(docs.Descendants("member")
        .FirstOrDefault(m => (string?)m.Attribute("name") == $"T:{type.FullName}")?.Element("summary"));

    static string Param(XDocument docs, Type type, string name) => Text(docs.Descendants("member")
        .FirstOrDefault(m => (string?)m.Attribute("name") == $"T:{type.FullName}")?.Elements("param")
        .FirstOrDefault(p => (string?)p.Attribute("name") == name));

    /// <summary>The element's text on one line, references (<c>see cref</c>) by their short names.</summary>
    static string Text(XElement? element)
    {
        if (element is null)
            return "";
        var text = string.Concat(element.Nodes().Select(node => node switch
        {
            XText t => t.Value,
            XElement { Name.LocalName: "see" } see => ((string?)see.Attribute("cref"))?.Split('.', ':').Last() ?? see.Value,
            XElement e => e.Value,
            _ => "",
        }));
        return Whitespace().Replace(text, " ").Trim();
    }

    static string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    static string Camel(string name) => char.ToLower(name[0], CultureInfo.InvariantCulture) + name[1..];

    [GeneratedRegex(@"Published\b[^.]*?\bby (\w+)")]
    private static partial Regex PublishedBy();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
