using System.Reflection;
using Campaign.Contracts;
using Xunit;

namespace Campaign.Contracts.Tests;

/// <summary>
/// The package's public API against the baseline checked in beside this test (<c>PublicApi.txt</c>): a removed or changed
/// member breaks subscribers built against an earlier version and fails here; a new one fails until it is added to the
/// baseline (and the package's minor version raised), so every change of the API is a reviewed line in a commit.
/// </summary>
public sealed class PublicApiTests
{
    static readonly NullabilityInfoContext Nullability = new();

    [Fact]
    public void The_public_API_matches_its_baseline()
    {
        var baseline = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "PublicApi.txt")).Where(l => l.Length > 0).ToList();
        var current = PublicApi(typeof(DonorSecured).Assembly);

        var removed = baseline.Except(current).ToList();
        var added = current.Except(baseline).ToList();

        Assert.True(removed.Count == 0, "Breaking change: subscribers use these (publish a new type instead):\n" + string.Join('\n', removed));
        Assert.True(added.Count == 0, "New public API: add these lines to tests/Campaign.Contracts.Tests/PublicApi.txt and raise the "
            + "package's minor version:\n" + string.Join('\n', added));
    }

    /// <summary>Each public type, its constructors and properties, with nullability: what a subscriber compiles against.</summary>
    public static List<string> PublicApi(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            lines.Add($"{type.FullName} ({(type.IsSealed ? "sealed " : "")}{(type.GetMethod("<Clone>$") is null ? "class" : "record")})");
            foreach (var constructor in type.GetConstructors().Where(c => c.GetParameters().Length > 0 || type.GetConstructors().Length == 1))
                lines.Add($"{type.FullName}({string.Join(", ", constructor.GetParameters().Select(p => $"{Name(p.ParameterType, Nullability.Create(p))} {p.Name}"))})");
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).OrderBy(p => p.Name, StringComparer.Ordinal))
                lines.Add($"{type.FullName}.{property.Name}: {Name(property.PropertyType, Nullability.Create(property))}{(property.SetMethod?.IsPublic == true ? " { get; init; }" : " { get; }")}");
        }
        return lines;
    }

    static string Name(Type type, NullabilityInfo nullability)
    {
        var nullable = nullability.ReadState == NullabilityState.Nullable && !type.IsValueType ? "?" : "";
        if (Nullable.GetUnderlyingType(type) is { } underlying)
            return Name(underlying, nullability) + "?";
        if (!type.IsGenericType)
            return type.FullName + nullable;
        var arguments = type.GetGenericArguments().Select((argument, i) => Name(argument, nullability.GenericTypeArguments[i]));
        return $"{type.FullName![..type.FullName!.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", arguments)}>{nullable}";
    }
}
