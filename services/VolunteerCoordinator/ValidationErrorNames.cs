using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace VolunteerCoordinator;

/// <summary>
/// Minimal API validation names a failing property as C# does ("Name", aspnetcore issue 61764), while the request's JSON and
/// the errors our handlers add say "name". Renaming the keys when a validation problem is written makes every 400 name fields
/// the way the client sent them.
/// </summary>
static class ValidationErrorNames
{
    public static void AddCamelCaseValidationErrorNames(this IServiceCollection services) =>
        services.Configure<ProblemDetailsOptions>(options =>
        {
            var previous = options.CustomizeProblemDetails;
            options.CustomizeProblemDetails = context =>
            {
                previous?.Invoke(context);
                if (context.ProblemDetails is HttpValidationProblemDetails validation)
                    CamelCase(validation.Errors);
            };
        });

    static void CamelCase(IDictionary<string, string[]> errors)
    {
        foreach (var key in errors.Keys.ToList())
        {
            var name = string.Join('.', key.Split('.').Select(part => JsonNamingPolicy.CamelCase.ConvertName(part)));
            if (name == key)
                continue;
            var messages = errors[key];
            errors.Remove(key);
            errors[name] = errors.TryGetValue(name, out var existing) ? [.. existing, .. messages] : messages;
        }
    }
}
