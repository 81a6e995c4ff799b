import { BadRequestException, ConflictException, Injectable } from '@nestjs/common';
import type { Actor, Role } from '@app/domain';
import { UserEntity, UserRepository } from '@app/persistence';
import bcrypt from 'bcryptjs';

export interface NewUser {
  username: string;
  password: string;
  role: Role;
  displayName: string;
  townshipCode?: string;
  unitCode?: string;
}

export const toUserView = (u: UserEntity) => ({
  id: u.id,
  username: u.username,
  role: u.role,
  displayName: u.displayName,
  townshipCode: u.townshipCode,
  unitCode: u.unitCode,
  disabled: u.disabled,
  createdAt: u.createdAt.toISOString(),
});

/** Accounts. A township officer is bound to one township (and its team unit); a liaison to one unit. */
@Injectable()
export class UserService {
  constructor(private readonly users: UserRepository) {}

  async create(_actor: Actor, input: NewUser): Promise<ReturnType<typeof toUserView>> {
    if (input.role === 'township_officer' && !input.townshipCode) throw new BadRequestException('a township officer needs townshipCode');
    if (input.role === 'department_liaison' && !input.unitCode) throw new BadRequestException('a department liaison needs unitCode');
    if (await this.users.findByUsername(input.username)) throw new ConflictException(`username ${input.username} is taken`);
    const user = await this.users.create({
      username: input.username,
      passwordHash: await bcrypt.hash(input.password, 12),
      role: input.role,
      displayName: input.displayName,
      townshipCode: input.townshipCode ?? null,
      // An officer acts for its township's team unless told otherwise.
      unitCode: input.unitCode ?? (input.role === 'township_officer' ? `township-team:${input.townshipCode}` : null),
    });
    return toUserView(user);
  }

  async list(_actor: Actor) {
    const rows = await this.users.findAll();
    return { items: rows.map(toUserView), total: rows.length };
  }
}
