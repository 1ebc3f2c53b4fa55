"""People, their role assignments (with history) and the public duty cards (便民服务牌)."""

from services.people.persons import (
    DUTY_CARD_ROLES,
    PersonView,
    card_holders,
    check_name,
    create_person,
    get_person,
    list_people,
    new_person,
    people_by_ids,
    person_to_place,
)
from services.people.roles import (
    DutyHolder,
    HolderPerson,
    assign_role,
    duty_cards,
    duty_cards_by_ids,
    end_role,
    grant_resident,
    role_assignments_by_ids,
    role_holders_by_area,
    roles_by_person,
)

__all__ = [
    "DUTY_CARD_ROLES",
    "DutyHolder",
    "HolderPerson",
    "PersonView",
    "assign_role",
    "card_holders",
    "check_name",
    "create_person",
    "duty_cards",
    "duty_cards_by_ids",
    "end_role",
    "get_person",
    "grant_resident",
    "list_people",
    "new_person",
    "people_by_ids",
    "person_to_place",
    "role_assignments_by_ids",
    "role_holders_by_area",
    "roles_by_person",
]
