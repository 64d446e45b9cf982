using Campaign.Outbox.Sagas;
using Campaign.ServiceDefaults;
using MassTransit;
using Microsoft.AspNetCore.OpenApi;
using VolunteerCoordinator.Consumers;
using VolunteerCoordinator.Data;
using VolunteerCoordinator.Features.ThankYouCalls;
using VolunteerCoordinator.Features.Volunteers;

namespace VolunteerCoordinator;

public static class VolunteerCoordinatorExtensions
{
    /// <summary>
    /// The database, the consumer that creates thank-you calls, the saga that sees each donor thanked (by the call or, past
    /// its deadline, in writing), and the OpenAPI details of the sign-up form.
    /// </summary>
    public static WebApplicationBuilder AddVolunteerCoordinator(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddServiceDatabase<VolunteerCoordinatorDbContext>("VolunteerCoordinator");
        builder.Services.AddOptions<ThankYouCallOptions>()
            .BindConfiguration(ThankYouCallOptions.Section)
            .Validate(o => o.CallDeadline > TimeSpan.Zero, "ThankYouCalls:CallDeadline must be positive, e.g. 3.00:00:00 for three days.")
            .ValidateOnStart();
        builder.AddServiceMessaging<VolunteerCoordinatorDbContext>(bus =>
        {
            bus.AddConsumer<DonorSecuredConsumer>();
            bus.AddThankYouCallSaga();
        });
        // The validation source generator only describes the request types of the project that calls AddValidation: the call in
        // ServiceDefaults covers none of ours, so without this one the DataAnnotations on our request records are ignored.
        builder.Services.AddValidation();
        builder.Services.AddCamelCaseValidationErrorNames();
        builder.Services.Configure<OpenApiOptions>("v1", openApi => openApi.AddSchemaTransformer<OneOfValuesSchemaTransformer>());
        return builder;
    }

    /// <summary>
    /// The thank-you saga, stored with the service's data: its state shares the consume's transaction with the inbox and the
    /// outbox, where its deadline waits. A test host calls it again inside <c>AddMassTransitTestHarness</c>, which swaps saga
    /// repositories for in-memory ones.
    /// </summary>
    public static IBusRegistrationConfigurator AddThankYouCallSaga(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddSagaStateMachine<ThankYouCallStateMachine, ThankYouCallState>().EntityFrameworkRepository(repository =>
        {
            repository.ConcurrencyMode = ConcurrencyMode.Optimistic;
            repository.ExistingDbContext<VolunteerCoordinatorDbContext>();
            repository.UsePostgres();
        });
        return bus;
    }

    public static WebApplication MapVolunteerCoordinatorEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapVolunteersEndpoints();
        app.MapThankYouCallsEndpoints();
        return app;
    }
}
