namespace VolunteerCoordinator;

/// <summary>
/// Documents, in the OpenAPI document, that each item of a string list is one of the values of a static class's
/// <c>All</c> list (e.g. <see cref="Data.VolunteerSkills"/>). The handler checks them, so an error can name the item's index.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OneOfValuesAttribute(Type valuesType) : Attribute
{
    public Type ValuesType { get; } = valuesType;

    public IReadOnlyList<string> Values =>
        ValuesType.GetField("All")?.GetValue(null) as IReadOnlyList<string>
        ?? throw new InvalidOperationException($"{ValuesType.Name} has no static All list.");
}
