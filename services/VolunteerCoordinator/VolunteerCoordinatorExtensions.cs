using Campaign.ServiceDefaults;
using Microsoft.AspNetCore.OpenApi;
using VolunteerCoordinator.Consumers;
using VolunteerCoordinator.Data;
using VolunteerCoordinator.Features.ThankYouCalls;
using VolunteerCoordinator.Features.Volunteers;

namespace VolunteerCoordinator;

public static class VolunteerCoordinatorExtensions
{
    /// <summary>The database, the consumer that creates thank-you calls, and the OpenAPI details of the sign-up form.</summary>
    public static WebApplicationBuilder AddVolunteerCoordinator(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddServiceDatabase<VolunteerCoordinatorDbContext>("VolunteerCoordinator");
        builder.AddServiceMessaging<VolunteerCoordinatorDbContext>(bus => bus.AddConsumer<DonorSecuredConsumer>());
        // The validation source generator only describes the request types of the project that calls AddValidation: the call in
        // ServiceDefaults covers none of ours, so without this one the DataAnnotations on our request records are ignored.
        builder.Services.AddValidation();
        builder.Services.AddCamelCaseValidationErrorNames();
        builder.Services.Configure<OpenApiOptions>("v1", openApi => openApi.AddSchemaTransformer<OneOfValuesSchemaTransformer>());
        return builder;
    }

    public static WebApplication MapVolunteerCoordinatorEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapVolunteersEndpoints();
        app.MapThankYouCallsEndpoints();
        return app;
    }
}
