using System.Net.Mail;
using System.Text.RegularExpressions;
using CampaignFinance.Data;

namespace CampaignFinance.Features.Donors;

/// <summary>
/// The rules of a registration the validation attributes cannot express, and the registration's normalized values.
/// Errors are keyed like the request's JSON (<c>email</c>, <c>address.postalCode</c>).
/// </summary>
public sealed partial record DonorForm(string Name, string? Email, string? NormalizedEmail, PostalAddress? Address, string? Employer,
    string? Occupation)
{
    /// <summary>USPS codes: the states, DC, the territories and the armed forces regions.</summary>
    static readonly HashSet<string> States =
    [
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD",
        "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC",
        "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "AS", "GU", "MP", "PR", "VI", "AA", "AE", "AP",
    ];

    public static (DonorForm? Form, Dictionary<string, string[]> Errors) Read(RegisterDonorRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>();

        var name = ReadName(request.Name, errors);

        // Optional: a gift by check or cash may come without one. Blank is the same as absent.
        var email = request.Email?.Trim();
        if (string.IsNullOrEmpty(email))
            email = null;
        else if (!IsEmailAddress(email))
            errors["email"] = [$"The email address is not valid (at most {DonorLimits.EmailLength} characters)."];

        var address = ReadAddress(request.Address, errors);
        var employer = Optional(request.Employer, "employer", DonorLimits.EmployerLength, errors);
        var occupation = Optional(request.Occupation, "occupation", DonorLimits.OccupationLength, errors);

        return errors.Count > 0
            ? (null, errors)
            : (new DonorForm(name, email, email is null ? null : Normalize(email), address, employer, occupation), errors);
    }

    /// <summary>A name: required, trimmed, at most <see cref="DonorLimits.NameLength"/> characters.</summary>
    public static string ReadName(string? value, Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var name = value?.Trim() ?? "";
        if (name.Length == 0)
            errors["name"] = ["The name is required."];
        else if (name.Length > DonorLimits.NameLength)
            errors["name"] = [$"The name must be at most {DonorLimits.NameLength} characters."];
        return name;
    }

    /// <summary>
    /// The name two registrations of one person share however it was typed: lower-case, letters and digits only, words
    /// separated by one space ("O'Brien,  Pat" and "o brien pat" differ; "Pat O'Brien" and "pat obrien" do not).
    /// </summary>
    public static string NormalizeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var words = name.ToLowerInvariant()
            .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(word => new string([.. word.Where(char.IsLetterOrDigit)]))
            .Where(word => word.Length > 0);
        return string.Join(' ', words);
    }

    /// <summary>The five-digit ZIP of a ZIP or ZIP+4: what two addresses of one household share.</summary>
    public static string? Zip5(string? postalCode) => postalCode is { Length: >= 5 } ? postalCode[..5] : null;

    /// <summary>The key of the unique index: addresses compare case-insensitively.</summary>
    public static string Normalize(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        return email.Trim().ToLowerInvariant();
    }

    public static PostalAddress? ReadAddress(PostalAddressRequest? address, Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (address is null)
            return null;

        var line1 = Required(address.Line1, "address.line1", "The first address line", DonorLimits.AddressLineLength, errors);
        var line2 = Optional(address.Line2, "address.line2", DonorLimits.AddressLineLength, errors);
        var city = Required(address.City, "address.city", "The city", DonorLimits.CityLength, errors);

        var state = address.State?.Trim().ToUpperInvariant() ?? "";
        if (!States.Contains(state))
            errors["address.state"] = ["The state must be a two-letter USPS code (e.g. NY, DC, PR)."];

        var postalCode = address.PostalCode?.Trim() ?? "";
        if (!ZipCode().IsMatch(postalCode))
            errors["address.postalCode"] = ["The postal code must be a ZIP code (12345) or ZIP+4 (12345-6789)."];

        return line1 is null || city is null ? null : new PostalAddress(line1, line2, city, state, postalCode);
    }

    static string? Required(string? value, string field, string what, int maxLength, Dictionary<string, string[]> errors)
    {
        var trimmed = value?.Trim() ?? "";
        if (trimmed.Length == 0)
            errors[field] = [$"{what} is required."];
        else if (trimmed.Length > maxLength)
            errors[field] = [$"{what} must be at most {maxLength} characters."];
        return trimmed.Length is 0 ? null : trimmed;
    }

    /// <summary>Blank is the same as absent.</summary>
    public static string? Optional(string? value, string field, int maxLength, Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
            return null;
        if (trimmed.Length > maxLength)
            errors[field] = [$"At most {maxLength} characters."];
        return trimmed;
    }

    /// <summary>A bare address (no display name, no spaces) whose domain has a dot, as <see cref="MailAddress"/> parses it.</summary>
    static bool IsEmailAddress(string email) =>
        email.Length is > 0 and <= DonorLimits.EmailLength
        && !email.Any(char.IsWhiteSpace)
        && MailAddress.TryCreate(email, out var address)
        && address.Address == email
        && string.IsNullOrEmpty(address.DisplayName)
        && address.Host.Contains('.', StringComparison.Ordinal)
        && !address.Host.StartsWith('.') && !address.Host.EndsWith('.');

    [GeneratedRegex(@"^[0-9]{5}(-[0-9]{4})?$")]
    private static partial Regex ZipCode();
}
