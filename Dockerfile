# The gateway service image. Configure it with CTI_* environment variables (see docs/configuration.md).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY cti_gateway ./cti_gateway
COPY adapters ./adapters
COPY pbxsim ./pbxsim
COPY ivr_flows ./ivr_flows
COPY dialer ./dialer
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --create-home --home-dir /var/lib/cti-gateway cti
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY config /etc/cti-gateway
USER cti
WORKDIR /var/lib/cti-gateway
ENV CTI_HTTP_HOST=0.0.0.0 \
    CTI_DATABASE_URL=sqlite+aiosqlite:////var/lib/cti-gateway/cti-gateway.db
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
ENTRYPOINT ["cti-gateway"]
CMD ["serve"]
