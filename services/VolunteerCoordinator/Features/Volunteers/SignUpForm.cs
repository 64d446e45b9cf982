using System.Net.Mail;
using System.Text.RegularExpressions;
using VolunteerCoordinator.Data;

namespace VolunteerCoordinator.Features.Volunteers;

/// <summary>
/// The rules of a sign-up the validation attributes cannot express, and the form's normalized values.
/// Errors are keyed like the request's JSON (<c>email</c>, <c>skills[2]</c>).
/// </summary>
public sealed partial record SignUpForm(string Name, string Email, string NormalizedEmail, string? Phone, List<string> Skills,
    List<string> Availability)
{
    public const int MaxSkills = 10;

    public static (SignUpForm? Form, Dictionary<string, string[]> Errors) Read(SignUpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>();

        var name = request.Name?.Trim() ?? "";
        if (name.Length == 0)
            errors["name"] = ["The name is required."];

        var email = request.Email?.Trim() ?? "";
        if (!IsEmailAddress(email))
            errors["email"] = ["The email address is not valid."];

        string? phone = null;
        if (!string.IsNullOrWhiteSpace(request.Phone))
        {
            phone = request.Phone.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
            if (!PhonePattern().IsMatch(phone))
                errors["phone"] = ["The phone number must be an optional + followed by 7 to 15 digits (spaces and dashes allowed)."];
        }

        var skills = ReadList(request.Skills, "skills", VolunteerSkills.All, "skill", errors);
        if (request.Skills is { Count: > MaxSkills })
            errors["skills"] = [$"At most {MaxSkills} skills."];
        var availability = ReadList(request.Availability, "availability", VolunteerAvailability.All, "availability", errors);

        return errors.Count > 0
            ? (null, errors)
            : (new SignUpForm(name, email, Normalize(email), phone, skills, availability), errors);
    }

    /// <summary>The key of the unique index: addresses compare case-insensitively.</summary>
    public static string Normalize(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        return email.Trim().ToUpperInvariant();
    }

    static List<string> ReadList(List<string?>? items, string field, IReadOnlyList<string> known, string what,
        Dictionary<string, string[]> errors)
    {
        var values = new List<string>();
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            var item = items![i];
            if (item is null || !known.Contains(item))
                errors[$"{field}[{i}]"] = [$"Unknown {what}. Use one of: {string.Join(", ", known)}."];
            else if (values.Contains(item))
                errors[$"{field}[{i}]"] = [$"Duplicate {what}: each may appear once."];
            else
                values.Add(item);
        }
        return values;
    }

    /// <summary>A bare address (no display name, no spaces) whose domain has a dot, as <see cref="MailAddress"/> parses it.</summary>
    static bool IsEmailAddress(string email) =>
        email.Length is > 0 and <= 254
        && !email.Any(char.IsWhiteSpace)
        && MailAddress.TryCreate(email, out var address)
        && address.Address == email
        && string.IsNullOrEmpty(address.DisplayName)
        && address.Host.Contains('.', StringComparison.Ordinal)
        && !address.Host.StartsWith('.') && !address.Host.EndsWith('.');

    [GeneratedRegex(@"^\+?[0-9]{7,15}$")]
    private static partial Regex PhonePattern();
}
